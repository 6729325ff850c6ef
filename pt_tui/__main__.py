from pt_tui.app.cli import main

main()
