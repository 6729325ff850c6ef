"""Signed reviews, the trust policy built on them, the promotion gate and the scans before it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from test_registry_support import env, make_plugin, registry_with, service_with  # noqa: F401

from pt_tui.sandbox.api import Capability
from pt_tui.sandbox.capabilities import Grants
from pt_tui.sandbox.registry.config import TrustedReviewer, load_config, save_config
from pt_tui.sandbox.registry.errors import RegistryError
from pt_tui.sandbox.registry.index import Review
from pt_tui.sandbox.registry.publish import add_review
from pt_tui.sandbox.registry.reviews import (
    canonical_bytes,
    judge,
    key_id,
    key_path,
    load_or_create_key,
    public_key_b64,
    sign_review,
    verify_review,
)
from pt_tui.sandbox.registry.scan import scan_python, scan_shared_lib, scan_wasm
from pt_tui.sandbox.registry.service import RegistryService
from pt_tui.sandbox.registry.store import Store
from pt_tui.sandbox.registry.trustpolicy import ReviewTrustPolicy

pytestmark = pytest.mark.usefixtures("env")
SHA = "ab" * 32
OTHER = "cd" * 32


def _key(seed: int):  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)


def test_canonical_bytes_are_documented_and_strict() -> None:
    assert (
        canonical_bytes("x", "1.0.0", SHA, "approve")
        == f"pt-tui-review-v1\nx\n1.0.0\n{SHA}\napprove\n".encode()
    )
    with pytest.raises(RegistryError):
        canonical_bytes("x\ny", "1.0.0", SHA, "approve")
    with pytest.raises(RegistryError):
        canonical_bytes("x", "1.0.0", SHA.upper(), "approve")
    with pytest.raises(RegistryError):
        canonical_bytes("x", "1.0.0", SHA, "sure")


def test_signatures_verify_only_for_what_was_signed() -> None:
    key = _key(1)
    review = sign_review(key, "x", "1.0.0", SHA, "approve")
    assert review.reviewer == key_id(key.public_key()) and len(review.reviewer) == 16
    assert verify_review(review, "x", "1.0.0", key.public_key())
    assert not verify_review(review, "x", "1.0.1", key.public_key())  # another version
    assert not verify_review(review, "y", "1.0.0", key.public_key())  # another plugin
    assert not verify_review(
        Review(review.reviewer, "reject", SHA, review.signature), "x", "1.0.0", key.public_key()
    )
    assert not verify_review(
        Review(review.reviewer, "approve", OTHER, review.signature), "x", "1.0.0", key.public_key()
    )
    assert not verify_review(review, "x", "1.0.0", _key(2).public_key())  # another key
    assert not verify_review(Review(review.reviewer, "approve", SHA, "!!"), "x", "1.0.0", key.public_key())


def test_judge_counts_trusted_valid_reviews_of_that_sha_once() -> None:
    alice, bob, mallory = _key(1), _key(2), _key(3)
    trusted = [
        TrustedReviewer("alice", public_key_b64(alice.public_key())),
        TrustedReviewer("bob", public_key_b64(bob.public_key())),
    ]
    good = sign_review(alice, "x", "1.0.0", SHA, "approve")
    forged = Review(
        key_id(bob.public_key()), "approve", SHA, sign_review(mallory, "x", "1.0.0", SHA, "approve").signature
    )
    checks = judge(
        [
            good,
            good,  # the same reviewer twice
            sign_review(mallory, "x", "1.0.0", SHA, "approve"),  # not trusted
            sign_review(bob, "x", "1.0.0", OTHER, "approve"),  # another artifact
            forged,  # bob's id with mallory's signature
        ],
        "x",
        "1.0.0",
        SHA,
        trusted,
    )
    assert [(c.reviewer, c.counts, c.reason) for c in checks] == [
        ("alice", True, "valid approve"),
        ("alice", False, "duplicate review by the same key"),
        (key_id(mallory.public_key()), False, "reviewer not trusted"),
        ("bob", False, f"covers another artifact ({OTHER[:12]})"),
        ("bob", False, "bad signature"),
    ]


def test_the_reviewer_key_is_created_private_and_reused() -> None:
    key = load_or_create_key()
    assert key_path().stat().st_mode & 0o777 == 0o600
    assert public_key_b64(load_or_create_key().public_key()) == public_key_b64(key.public_key())
    key_path().chmod(0o644)
    with pytest.raises(RegistryError, match="readable by others"):
        load_or_create_key()


def _trust(*names_keys: tuple[str, object]) -> None:
    config = load_config()
    for name, key in names_keys:
        config.trust(name, public_key_b64(key.public_key()))  # type: ignore[attr-defined]
    save_config(config)


def _review_into(repo_dir: Path, key: object, name: str, sha: str, verdict: str = "approve") -> None:
    add_review(repo_dir, sign_review(key, name, "1.0.0", sha, verdict), name, "1.0.0")  # type: ignore[arg-type]


def _promotable(tmp_path: Path) -> tuple[Path, RegistryService, str]:
    repo_dir = registry_with(tmp_path, make_plugin(tmp_path, "promo", native=True))
    service = service_with(("reg", repo_dir))
    service.install("promo")
    native = Store().require("promo").current.artifacts["native"]
    return repo_dir, service, native


def _refresh(service: RegistryService) -> RegistryService:
    from pt_tui.sandbox.registry.catalog import update_registries

    update_registries(load_config())
    return RegistryService()


def test_promotion_needs_two_trusted_approvals_of_the_native_sha(tmp_path: Path) -> None:
    repo_dir, service, native = _promotable(tmp_path)
    alice, bob, mallory = _key(1), _key(2), _key(3)
    _trust(("alice", alice), ("bob", bob))
    Grants().grant(Store().require("promo").current.sha256, [Capability.GRAPH_READ], plugin="promo")
    wasm_sha = Store().require("promo").current.sha256

    _review_into(repo_dir, alice, "promo", native)
    _review_into(repo_dir, mallory, "promo", native)  # untrusted: does not count
    _review_into(repo_dir, bob, "promo", wasm_sha)  # the wrong artifact: does not count
    service = _refresh(service)
    refused = service.promote("promo")
    assert refused.change is None and not refused.decision.approved
    assert (refused.decision.reviews, refused.decision.needed) == (1, 2)
    assert Store().require("promo").current.tier == "wasm"
    assert {s.kind for s in refused.scans} == {"wasm", "native"}

    _review_into(repo_dir, bob, "promo", native)
    service = _refresh(service)
    dry = service.promote("promo", dry_run=True)
    assert dry.decision.approved and dry.change is None
    done = service.promote("promo")
    assert done.change is not None and done.change.new == "1.0.0 (native)"
    pointer = Store().require("promo").current
    assert (pointer.tier, pointer.sha256) == ("native", native)
    assert 'tier = "native"' in (Store().current_link("promo") / "plugin.toml").read_text()
    assert Grants().granted(native) == {Capability.GRAPH_READ}  # carried over from the wasm build
    assert ReviewTrustPolicy().check("promo", "1.0.0", native).approved
    with pytest.raises(RegistryError, match="already runs native"):
        service.promote("promo")
    assert service.rollback("promo").new == "1.0.0 (wasm)"


def test_one_trusted_rejection_refuses_and_the_threshold_is_configurable(tmp_path: Path) -> None:
    repo_dir, service, native = _promotable(tmp_path)
    alice, bob = _key(1), _key(2)
    _trust(("alice", alice), ("bob", bob))
    _review_into(repo_dir, alice, "promo", native)
    _review_into(repo_dir, bob, "promo", native, "reject")
    service = _refresh(service)
    decision = service.promote("promo").decision
    assert not decision.approved and decision.reason == "rejected by bob"
    config = load_config()
    config.required_reviews = 1
    config.untrust("bob")
    save_config(config)
    assert RegistryService().promote("promo").decision.approved


def test_wasm_scan_compares_imports_with_declared_capabilities(tmp_path: Path) -> None:
    import wasmtime

    module = tmp_path / "m.wasm"
    module.write_bytes(
        wasmtime.wat2wasm(
            '(module (import "pt" "source" (func (param i32 i32 i32) (result i32)))'
            ' (import "env" "system" (func (param i32) (result i32)))'
            ' (import "pt" "log" (func (param i32 i32)))'
            ' (memory (export "memory") 1) (func (export "pt_alloc") (param i32) (result i32) i32.const 0))'
        )
    )
    report = scan_wasm(module, [Capability.GRAPH_READ, Capability.LOG, Capability.CLOCK])
    found = {(f.severity, f.where) for f in report.findings}
    assert ("high", "import pt.source") in found  # needs source.read, not declared
    assert ("high", "import env.system") in found  # not a host function at all
    assert ("info", "import pt.log") in found
    assert ("low", "capabilities") in found  # clock declared, never imported
    assert ("medium", "export pt_query") in found
    assert not report.clean
    assert scan_wasm(tmp_path / "missing.wasm", []).error


def test_shared_library_scan_names_dangerous_imports(tmp_path: Path) -> None:
    source = tmp_path / "bad.c"
    source.write_text(
        "#include <stdlib.h>\n#include <sys/socket.h>\n#include <stdio.h>\n"
        'int run(const char *c) { FILE *f = fopen(c, "r"); socket(2, 1, 0); return system(c) + (f != 0); }\n'
    )
    lib = tmp_path / "libbad.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(lib), str(source)], check=True)
    report = scan_shared_lib(lib)
    high = {f.where: f.message for f in report.findings if f.severity == "high"}
    assert high == {
        "imports fopen": "file access from a plugin",
        "imports socket": "network access from a plugin",
        "imports system": "process access from a plugin",
    }
    assert not report.clean
    assert scan_shared_lib(source).error  # not an ELF file


def test_python_scan_reports_bandit_findings(tmp_path: Path) -> None:
    (tmp_path / "plugin.py").write_text(
        "import subprocess\n\ndef run(x):\n    return subprocess.call(x, shell=True)\n"
    )
    report = scan_python(tmp_path)
    assert not report.error
    ids = {f.message.split()[0] for f in report.findings}
    assert "B602" in ids  # subprocess with shell=True
    assert any(f.where == "plugin.py:4" for f in report.findings)
