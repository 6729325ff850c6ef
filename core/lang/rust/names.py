"""Names from the standard library that resolution must not guess about."""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Method (and function) names so common in std and everywhere that a unique match in the graph
#: says nothing about which one an unknown receiver calls: never linked by the global fallback.
COMMON_METHODS = _words(
    """
    new default clone clone_from to_owned to_string to_vec into from try_into try_from as_ref as_mut
    borrow borrow_mut deref deref_mut drop fmt eq ne cmp partial_cmp lt le gt ge hash len is_empty
    capacity with_capacity reserve shrink_to_fit clear truncate push pop insert remove get get_mut
    contains contains_key entry keys values values_mut iter iter_mut into_iter next next_back peek
    map map_err and_then or_else ok err ok_or ok_or_else unwrap unwrap_or unwrap_or_else
    unwrap_or_default expect is_some is_none is_ok is_err take replace filter filter_map flat_map
    for_each fold any all find position count sum min max min_by max_by rev zip enumerate skip
    skip_while take_while chain cloned copied collect extend sort sort_by sort_by_key sort_unstable
    dedup retain first last split split_at join concat parse as_str as_bytes as_slice as_ptr chars
    bytes lines trim starts_with ends_with to_lowercase to_uppercase write write_all write_fmt
    write_str read read_exact read_to_end read_to_string flush lock try_lock send recv try_recv
    poll poll_next call call_mut call_once add sub mul div rem neg not index index_mut set swap
    load store append drain split_off resize wait notify notify_one notify_all spawn run build
    start stop close open finish reset update apply step visit init with
    """
)

#: Functions and constructors of the std prelude, called by bare name.
PRELUDE_CALLS = _words("Some Ok Err Box drop identity size_of align_of replace swap")

#: Macros of std and core (reported as such when no macro of the graph matches).
STD_MACROS = _words(
    """
    assert assert_eq assert_ne debug_assert debug_assert_eq debug_assert_ne cfg column compile_error
    concat dbg env eprint eprintln file format format_args include include_bytes include_str line
    matches module_path option_env panic print println stringify thread_local todo unimplemented
    unreachable vec write writeln try addr_of addr_of_mut ready pin
    """
)

#: Methods that take the value out of an ``Option`` / ``Result``.
UNWRAP_METHODS = _words("unwrap expect unwrap_or_default unwrap_unchecked unwrap_or_else")
#: Types whose first type argument is what ``?`` and ``unwrap`` give.
UNWRAP_TYPES = _words("Option Result LockResult Poll")
