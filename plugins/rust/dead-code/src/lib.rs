//! dead-code: entities nothing calls, uses, implements or imports (Rust, ABI v1).
//!
//! Candidates: the previous pipeline stage, else every node. Modules, `impl` blocks, dunder
//! methods, `main`, tests and the entry points of a class (its methods count as used when the class
//! is) are never reported. `kind` keeps only entities of those kinds. The scan stops at `limit`
//! rows (a note says more exist), so a query costs O(limit) on a graph with much dead code.

use pt_plugin::{pt_plugin, Request, ResultBuilder, View, CALLS, IMPLEMENTS, IMPORTS, KINDS, USES};
use pt_plugin::{WANT_IN, WANT_KIND, WANT_NAME};

fn referenced(view: &View, node: u32) -> bool {
    view.in_degree(CALLS, node) != 0
        || view.in_degree(USES, node) != 0
        || view.in_degree(IMPORTS, node) != 0
        || view.in_degree(IMPLEMENTS, node) != 0
}

fn exempt(name: &str, kind: &str) -> bool {
    matches!(kind, "module" | "impl")
        || (name.starts_with("__") && name.ends_with("__"))
        || name == "main"
        || name.starts_with("test")
}

fn query(view: &View, req: &Request, out: &mut ResultBuilder) {
    let kinds = req.texts("kind");
    // the kind filter as a table over the view's kind codes: one byte test per node
    let wanted: Vec<bool> = KINDS.iter().map(|k| kinds.is_empty() || kinds.contains(k)).collect();
    let inputs = req.inputs.as_deref();
    let count = inputs.map_or(view.node_count as usize, |v| v.len());
    for at in 0..count {
        let node = inputs.map_or(at as u32, |v| v[at]);
        if node >= view.node_count {
            continue;
        }
        let code = view.kind(node).map_or(usize::MAX, |k| k as usize);
        if !wanted.get(code).copied().unwrap_or(kinds.is_empty()) || referenced(view, node) {
            continue; // the cheap tests first: most entities are referenced (or of another kind)
        }
        if exempt(view.name(node), KINDS.get(code).copied().unwrap_or("")) {
            continue;
        }
        if out.rows() == req.limit as usize {
            out.note("more unreferenced entities exist: raise the limit to see them");
            break;
        }
        out.row(node, None, "dead", "nothing calls, uses or imports it");
    }
}

const IN_REFS: i64 = (WANT_IN << CALLS) | (WANT_IN << USES) | (WANT_IN << IMPLEMENTS) | (WANT_IN << IMPORTS);
pt_plugin!(query, WANT_KIND | WANT_NAME | IN_REFS);
