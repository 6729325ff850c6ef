//! The pt-tui plugin SDK for Rust (ABI v1, no dependencies). See docs/plugin-abi.md.
//!
//! A plugin crate (`crate-type = ["cdylib"]`) writes one function and names it in [`pt_plugin!`]:
//!
//! ```ignore
//! use pt_plugin::{pt_plugin, Request, ResultBuilder, View, WANT_IN, CALLS};
//! fn query(view: &View, req: &Request, out: &mut ResultBuilder) { /* ... */ }
//! pt_plugin!(query, WANT_IN << CALLS);
//! ```
//!
//! The same crate builds for `wasm32-unknown-unknown` (the sandboxed plugin) and for the host (the
//! shared library a reviewed plugin is promoted to): the macro emits `pt_alloc`, `pt_free`,
//! `pt_columns` and `pt_query` (or `pt_context` with `pt_plugin!(context: f, mask)`).

use std::alloc::{alloc, dealloc, Layout};

pub const CALLS: u32 = 0;
pub const IMPLEMENTS: u32 = 1;
pub const USES: u32 = 2;
pub const CONTAINS: u32 = 3;
pub const IMPORTS: u32 = 4;
pub const EDGE_KINDS: u32 = 5;

pub const WANT_KIND: i64 = 1 << 0;
pub const WANT_VISIBILITY: i64 = 1 << 1;
pub const WANT_LANGUAGE: i64 = 1 << 2;
pub const WANT_NAME: i64 = 1 << 3;
pub const WANT_QUALNAME: i64 = 1 << 4;
pub const WANT_FILE: i64 = 1 << 5;
pub const WANT_LINES: i64 = 1 << 6;
pub const WANT_PARENT: i64 = 1 << 7;
/// Shift left by an edge kind: `WANT_OUT << CALLS`.
pub const WANT_OUT: i64 = 1 << 8;
pub const WANT_IN: i64 = 1 << 16;
pub const WANT_ALL: i64 = 0x1F1FFF;
pub const NO_NODE: u32 = u32::MAX;

/// Node kinds, in the order of the view's kind codes.
pub const KINDS: [&str; 14] = [
    "module", "function", "method", "class", "struct", "enum", "union", "trait", "impl", "type_alias",
    "const", "static", "macro", "lambda",
];

fn u32_at(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4).map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    (u32_at(b, at) as u64) | ((u32_at(b, at + 4) as u64) << 32)
}

/// A column of little-endian u32 values.
#[derive(Clone, Copy, Default)]
pub struct U32s<'a>(&'a [u8]);

impl<'a> U32s<'a> {
    pub fn len(&self) -> usize {
        self.0.len() / 4
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn get(&self, i: usize) -> u32 {
        u32_at(self.0, 4 * i)
    }
    pub fn slice(&self, from: usize, to: usize) -> U32s<'a> {
        U32s(self.0.get(4 * from..4 * to).unwrap_or(&[]))
    }
    pub fn iter(&self) -> impl Iterator<Item = u32> + 'a {
        let b = self.0;
        (0..b.len() / 4).map(move |i| u32_at(b, 4 * i))
    }
}

/// The graph view the host wrote into this plugin's memory (only the columns it asked for).
///
/// The column directory is read once in [`View::new`]; every accessor is then O(1).
pub struct View<'a> {
    pub node_count: u32,
    pub file_count: u32,
    cols: [&'a [u8]; 18],
    edges: [&'a [u8]; 20],
}

impl<'a> View<'a> {
    pub fn new(data: &'a [u8]) -> View<'a> {
        let mut view = View { node_count: 0, file_count: 0, cols: [&[]; 18], edges: [&[]; 20] };
        if data.len() < 32 || &data[..4] != b"PTGV" {
            return view;
        }
        view.node_count = u32_at(data, 8);
        view.file_count = u32_at(data, 12);
        for i in 0..u32_at(data, 16) as usize {
            let e = 32 + 16 * i;
            let id = u32_at(data, e);
            let (off, len) = (u32_at(data, e + 4) as usize, u32_at(data, e + 8) as usize);
            let bytes = data.get(off..off + len).unwrap_or(&[]);
            if id < 18 {
                view.cols[id as usize] = bytes;
            } else if (0x100..0x100 + 20).contains(&id) {
                view.edges[(id - 0x100) as usize] = bytes;
            }
        }
        view
    }

    /// The bytes of column `id` (empty if the view lacks it).
    pub fn column(&self, id: u32) -> &'a [u8] {
        match id {
            0..=17 => self.cols[id as usize],
            0x100..=0x113 => self.edges[(id - 0x100) as usize],
            _ => &[],
        }
    }

    /// The node's kind code (index into [`KINDS`]), or None without the kind column.
    pub fn kind(&self, i: u32) -> Option<u8> {
        self.cols[1].get(i as usize).copied()
    }

    /// String `i` of a refs column (`(u32 off, u32 len)` pairs) into its table column.
    fn string(&self, refs: usize, table: usize, i: u32) -> &'a str {
        let refs = U32s(self.cols[refs]);
        let (off, len) = (refs.get(2 * i as usize) as usize, refs.get(2 * i as usize + 1) as usize);
        self.cols[table].get(off..off + len).and_then(|s| std::str::from_utf8(s).ok()).unwrap_or("")
    }

    pub fn name(&self, i: u32) -> &'a str {
        self.string(4, 15, i)
    }
    pub fn qualname(&self, i: u32) -> &'a str {
        self.string(5, 16, i)
    }
    pub fn file(&self, i: u32) -> &'a str {
        self.string(7, 17, U32s(self.cols[6]).get(i as usize))
    }
    /// (first line, last line), 1-based.
    pub fn lines(&self, i: u32) -> (u32, u32) {
        let c = U32s(self.cols[8]);
        (c.get(2 * i as usize), c.get(2 * i as usize + 1))
    }
    pub fn parent(&self, i: u32) -> Option<u32> {
        let c = U32s(self.cols[9]);
        if c.is_empty() {
            return None;
        }
        Some(c.get(i as usize)).filter(|&p| p != NO_NODE)
    }

    fn csr(&self, kind: u32, part: u32, i: u32) -> U32s<'a> {
        let at = (4 * kind + part) as usize;
        let offsets = U32s(self.edges.get(at).copied().unwrap_or(&[]));
        if offsets.is_empty() {
            return U32s::default();
        }
        let targets = U32s(self.edges[at + 1]);
        targets.slice(offsets.get(i as usize) as usize, offsets.get(i as usize + 1) as usize)
    }
    fn degree(&self, kind: u32, part: u32, i: u32) -> u32 {
        let offsets = U32s(self.edges.get((4 * kind + part) as usize).copied().unwrap_or(&[]));
        offsets.get(i as usize + 1).saturating_sub(offsets.get(i as usize))
    }
    /// How many distinct targets node `i`'s edges of `kind` have: two reads of the CSR offsets, no
    /// slice (what a scan over every node should test).
    pub fn out_degree(&self, kind: u32, i: u32) -> u32 {
        self.degree(kind, 0, i)
    }
    /// How many distinct sources the edges of `kind` into node `i` have.
    pub fn in_degree(&self, kind: u32, i: u32) -> u32 {
        self.degree(kind, 2, i)
    }
    /// Distinct targets of node `i`'s edges of `kind`.
    pub fn out_edges(&self, kind: u32, i: u32) -> U32s<'a> {
        self.csr(kind, 0, i)
    }
    /// Distinct sources of the edges of `kind` into node `i`.
    pub fn in_edges(&self, kind: u32, i: u32) -> U32s<'a> {
        self.csr(kind, 2, i)
    }
}

/// One argument of the request.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg<'a> {
    None,
    Int(i64),
    Text(&'a str),
    Nodes(Vec<u32>),
    Texts(Vec<&'a str>),
}

/// The request the host wrote for this call.
pub struct Request<'a> {
    data: &'a [u8],
    pub verb: &'a str,
    pub limit: u32,
    /// The previous pipeline stage's nodes (None for a first stage).
    pub inputs: Option<Vec<u32>>,
    pub context: bool,
}

impl<'a> Request<'a> {
    pub fn new(data: &'a [u8]) -> Request<'a> {
        let flags = u32_at(data, 4) >> 16;
        let str_at = |off: usize, len: usize| -> &'a str {
            data.get(off..off + len).and_then(|s| std::str::from_utf8(s).ok()).unwrap_or("")
        };
        let inputs = if flags & 1 != 0 {
            let (n, off) = (u32_at(data, 32) as usize, u32_at(data, 36) as usize);
            Some((0..n).map(|i| u32_at(data, off + 4 * i)).collect())
        } else {
            None
        };
        Request {
            data,
            verb: str_at(u32_at(data, 24) as usize, u32_at(data, 28) as usize),
            limit: u32_at(data, 20),
            inputs,
            context: flags & 2 != 0,
        }
    }

    fn text(&self, off: u32, len: u32) -> &'a str {
        let (off, len) = (off as usize, len as usize);
        self.data.get(off..off + len).and_then(|s| std::str::from_utf8(s).ok()).unwrap_or("")
    }

    /// The argument called `name` (None if the request has no such argument).
    pub fn arg(&self, name: &str) -> Option<Arg<'a>> {
        let (count, base) = (u32_at(self.data, 40) as usize, u32_at(self.data, 44) as usize);
        for i in 0..count {
            let e = base + 24 * i;
            if self.text(u32_at(self.data, e), u32_at(self.data, e + 4)) != name {
                continue;
            }
            let (kind, n) = (u32_at(self.data, e + 8), u32_at(self.data, e + 12) as usize);
            let (a, b) = (u32_at(self.data, e + 16), u32_at(self.data, e + 20));
            return Some(match kind {
                1 => Arg::Int(u64_at(self.data, e + 16) as i64),
                2 => Arg::Text(self.text(a, b)),
                3 => Arg::Nodes((0..n).map(|j| u32_at(self.data, a as usize + 4 * j)).collect()),
                4 => Arg::Texts(
                    (0..n)
                        .map(|j| {
                            let r = a as usize + 8 * j;
                            self.text(u32_at(self.data, r), u32_at(self.data, r + 4))
                        })
                        .collect(),
                ),
                _ => Arg::None,
            });
        }
        None
    }

    pub fn int(&self, name: &str, fallback: i64) -> i64 {
        match self.arg(name) {
            Some(Arg::Int(v)) => v,
            _ => fallback,
        }
    }
    pub fn nodes(&self, name: &str) -> Option<Vec<u32>> {
        match self.arg(name) {
            Some(Arg::Nodes(v)) => Some(v),
            _ => None,
        }
    }
    pub fn texts(&self, name: &str) -> Vec<&'a str> {
        match self.arg(name) {
            Some(Arg::Texts(v)) => v,
            Some(Arg::Text(t)) => vec![t],
            _ => Vec::new(),
        }
    }
}

/// Builds the result blob: rows, text, notes.
#[derive(Default)]
pub struct ResultBuilder {
    rows: Vec<[u32; 6]>,
    notes: Vec<(u32, u32)>,
    text: (u32, u32),
    strings: Vec<u8>,
    error: bool,
}

pub const NO_DISTANCE: i32 = i32::MIN;

impl ResultBuilder {
    fn intern(&mut self, s: &str) -> (u32, u32) {
        if s.is_empty() {
            return (0, 0);
        }
        let off = self.strings.len() as u32 + 1; // 0 means "none"; rebased in finish()
        self.strings.extend_from_slice(s.as_bytes());
        (off, s.len() as u32)
    }
    /// A row: node index, distance (None for "not a walk"), via and detail strings.
    pub fn row(&mut self, node: u32, distance: Option<i32>, via: &str, detail: &str) {
        let (v, d) = (self.intern(via), self.intern(detail));
        self.rows.push([node, distance.unwrap_or(NO_DISTANCE) as u32, v.0, v.1, d.0, d.1]);
    }
    pub fn rows(&self) -> usize {
        self.rows.len()
    }
    pub fn text(&mut self, s: &str) {
        self.text = self.intern(s);
    }
    pub fn note(&mut self, s: &str) {
        if self.notes.len() < 64 {
            let r = self.intern(s);
            self.notes.push(r);
        }
    }
    /// Refuse the request: the host shows `message` as the query's error.
    pub fn error(&mut self, message: &str) {
        self.error = true;
        self.text(message);
    }

    pub fn finish(self) -> Vec<u8> {
        let rows_off = 32u32;
        let notes_off = rows_off + 24 * self.rows.len() as u32;
        let base = notes_off + 8 * self.notes.len() as u32;
        let at = |r: (u32, u32)| if r.1 == 0 { (0, 0) } else { (base + r.0 - 1, r.1) };
        let mut out = Vec::with_capacity(base as usize + self.strings.len());
        let text = at(self.text);
        for v in [
            0x3152_5450,
            self.error as u32,
            self.rows.len() as u32,
            rows_off,
            text.0,
            text.1,
            self.notes.len() as u32,
            notes_off,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for r in &self.rows {
            let (v, d) = (at((r[2], r[3])), at((r[4], r[5])));
            for x in [r[0], r[1], v.0, v.1, d.0, d.1] {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        for &n in &self.notes {
            let n = at(n);
            out.extend_from_slice(&n.0.to_le_bytes());
            out.extend_from_slice(&n.1.to_le_bytes());
        }
        out.extend_from_slice(&self.strings);
        out
    }
}

/// The last result, kept alive until the next call. The host never calls one plugin concurrently
/// (one lock per wasm store, and one per shared-library file), so a plain static is enough.
static mut LAST: Vec<u8> = Vec::new();

/// `pt_alloc`: 8-aligned memory the host writes the view and requests into.
///
/// # Safety
/// Called by the host only.
pub unsafe fn alloc_bytes(len: u32) -> *mut u8 {
    match Layout::from_size_align(len.max(1) as usize, 8) {
        Ok(layout) => alloc(layout),
        Err(_) => std::ptr::null_mut(),
    }
}

/// `pt_free`: release a block from [`alloc_bytes`].
///
/// # Safety
/// `ptr` and `len` must come from one `pt_alloc` call.
pub unsafe fn free_bytes(ptr: *mut u8, len: u32) {
    if !ptr.is_null() {
        dealloc(ptr, Layout::from_size_align_unchecked(len.max(1) as usize, 8));
    }
}

/// The body of `pt_query` / `pt_context`: parse, run `f`, keep the result alive, fill the result slot.
///
/// # Safety
/// `req` must point to `len` writable bytes holding a request (the host guarantees it).
pub unsafe fn run(req: *mut u8, len: u32, f: fn(&View, &Request, &mut ResultBuilder)) -> i64 {
    let data = std::slice::from_raw_parts(req as *const u8, len as usize);
    let request = Request::new(data);
    let view_addr = u64_at(data, 8) as usize;
    let view_len = u32_at(data, 16) as usize;
    let view_bytes: &[u8] =
        if view_addr == 0 { &[] } else { std::slice::from_raw_parts(view_addr as *const u8, view_len) };
    let view = View::new(view_bytes);
    let mut out = ResultBuilder::default();
    f(&view, &request, &mut out);
    let blob = out.finish();
    let (addr, size) = (blob.as_ptr() as u64, blob.len() as u32);
    LAST = blob;
    std::ptr::copy_nonoverlapping(addr.to_le_bytes().as_ptr(), req.add(48), 8);
    std::ptr::copy_nonoverlapping(size.to_le_bytes().as_ptr(), req.add(56), 4);
    0
}

/// Emit the exports for a query plugin (`pt_plugin!(f, mask)`) or a context plugin
/// (`pt_plugin!(context: f, mask)`).
#[macro_export]
macro_rules! pt_plugin {
    (@common $mask:expr) => {
        /// # Safety
        /// Called by the host only.
        #[no_mangle]
        pub unsafe extern "C" fn pt_alloc(len: u32) -> *mut u8 {
            $crate::alloc_bytes(len)
        }
        /// # Safety
        /// Called by the host only, with a block from `pt_alloc`.
        #[no_mangle]
        pub unsafe extern "C" fn pt_free(ptr: *mut u8, len: u32) {
            $crate::free_bytes(ptr, len)
        }
        #[no_mangle]
        pub extern "C" fn pt_columns() -> i64 {
            $mask
        }
    };
    (context: $f:path, $mask:expr) => {
        $crate::pt_plugin!(@common $mask);
        /// # Safety
        /// Called by the host only.
        #[no_mangle]
        pub unsafe extern "C" fn pt_context(req: *mut u8, len: u32) -> i64 {
            $crate::run(req, len, $f)
        }
    };
    ($f:path, $mask:expr) => {
        $crate::pt_plugin!(@common $mask);
        /// # Safety
        /// Called by the host only.
        #[no_mangle]
        pub unsafe extern "C" fn pt_query(req: *mut u8, len: u32) -> i64 {
            $crate::run(req, len, $f)
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_layout() {
        let mut out = ResultBuilder::default();
        out.row(3, Some(2), "CALLS", "");
        out.note("n");
        let blob = out.finish();
        assert_eq!(&blob[..4], b"PTR1");
        assert_eq!(u32_at(&blob, 8), 1);
        assert_eq!(u32_at(&blob, 32), 3);
        let (off, len) = (u32_at(&blob, 40) as usize, u32_at(&blob, 44) as usize);
        assert_eq!(&blob[off..off + len], b"CALLS");
    }
}
