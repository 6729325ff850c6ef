//! dead-code: entities nothing calls, uses, implements or imports (Rust, ABI v1).
//!
//! Candidates: the previous pipeline stage, else every node. Modules, `impl` blocks, dunder
//! methods, `main`, tests and the entry points of a class (its methods count as used when the class
//! is) are never reported. `kind` keeps only entities of those kinds. The scan stops at `limit`
//! rows (a note says more exist), so a query costs O(limit) on a graph with much dead code.

use pt_plugin::{pt_plugin, Request, ResultBuilder, View, CALLS, IMPLEMENTS, IMPORTS, KINDS, USES};
use pt_plugin::{WANT_IN, WANT_KIND, WANT_NAME};

fn referenced(view: &View, node: u32) -> bool {
    !view.in_edges(CALLS, node).is_empty()
        || !view.in_edges(USES, node).is_empty()
        || !view.in_edges(IMPORTS, node).is_empty()
        || !view.in_edges(IMPLEMENTS, node).is_empty()
}

fn exempt(name: &str, kind: &str) -> bool {
    matches!(kind, "module" | "impl")
        || (name.starts_with("__") && name.ends_with("__"))
        || name == "main"
        || name.starts_with("test")
}

fn query(view: &View, req: &Request, out: &mut ResultBuilder) {
    let kinds = req.texts("kind");
    let candidates: Vec<u32> = match &req.inputs {
        Some(inputs) => inputs.clone(),
        None => (0..view.node_count).collect(),
    };
    for node in candidates {
        if node >= view.node_count || referenced(view, node) {
            continue; // the cheap test first: most entities are referenced
        }
        let kind = view.kind(node).and_then(|k| KINDS.get(k as usize)).copied().unwrap_or("");
        if exempt(view.name(node), kind) || (!kinds.is_empty() && !kinds.contains(&kind)) {
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
