;; fan-in v2 (ABI v1, no toolchain): for each input entity, how many distinct entities call it.
;; Input entities: the previous pipeline stage, else the `entity` parameter.
;; One row per input: node = the input, distance = its CALLS fan-in, via = "fan-in v2: CALLS in-edges" (differs from v1).
(module
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (data (i32.const 16) "fan-in v2: CALLS in-edges")
  (global $via_len i32 (i32.const 25))

  ;; A stack allocator: pt_free pops the latest block (the host frees in reverse order).
  (func $reserve (param $end i32) (result i32)
    (local $pages i32)
    (local.set $pages (i32.shr_u (i32.add (local.get $end) (i32.const 65535)) (i32.const 16)))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size))) (i32.const -1))
        (then (return (i32.const 0))))))
    (i32.const 1))
  (func (export "pt_alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.const 7)) (i32.const -8)))
    (if (i32.eqz (call $reserve (i32.add (local.get $p) (local.get $len)))) (then (return (i32.const 0))))
    (global.set $heap (i32.add (local.get $p) (local.get $len)))
    (local.get $p))
  (func (export "pt_free") (param $p i32) (param $len i32)
    (if (i32.eq (i32.add (local.get $p) (local.get $len)) (global.get $heap))
      (then (global.set $heap (local.get $p)))))
  ;; Only the CALLS in-edges (WANT_IN << 0).
  (func (export "pt_columns") (result i64) (i64.const 0x10000))

  ;; Address of column $id in the view at $view, or 0 when absent.
  (func $column (param $view i32) (param $id i32) (result i32)
    (local $i i32) (local $n i32) (local $e i32)
    (if (i32.eqz (local.get $view)) (then (return (i32.const 0))))
    (local.set $n (i32.load offset=16 (local.get $view)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $e (i32.add (i32.add (local.get $view) (i32.const 32)) (i32.shl (local.get $i) (i32.const 4))))
        (if (i32.eq (i32.load (local.get $e)) (local.get $id))
          (then (return (i32.add (local.get $view) (i32.load offset=4 (local.get $e))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 0))

  (func (export "pt_query") (param $req i32) (param $len i32) (result i64)
    (local $view i32) (local $nodes i32) (local $offsets i32) (local $limit i32)
    (local $count i32) (local $list i32) (local $i i32) (local $arg i32) (local $args i32)
    (local $res i32) (local $row i32) (local $node i32) (local $via i32) (local $size i32)
    (local.set $view (i32.load offset=8 (local.get $req)))
    (local.set $limit (i32.load offset=20 (local.get $req)))
    (if (local.get $view) (then (local.set $nodes (i32.load offset=8 (local.get $view)))))
    (local.set $offsets (call $column (local.get $view) (i32.const 0x102)))
    ;; the input list: the previous stage, else the first entity argument
    (if (i32.and (i32.load16_u offset=6 (local.get $req)) (i32.const 1))
      (then
        (local.set $count (i32.load offset=32 (local.get $req)))
        (local.set $list (i32.add (local.get $req) (i32.load offset=36 (local.get $req)))))
      (else
        (local.set $args (i32.load offset=40 (local.get $req)))
        (block $found
          (loop $scan
            (br_if $found (i32.ge_u (local.get $i) (local.get $args)))
            (local.set $arg (i32.add (i32.add (local.get $req) (i32.load offset=44 (local.get $req)))
                                     (i32.mul (local.get $i) (i32.const 24))))
            (if (i32.eq (i32.load offset=8 (local.get $arg)) (i32.const 3))
              (then
                (local.set $count (i32.load offset=12 (local.get $arg)))
                (local.set $list (i32.add (local.get $req) (i32.load offset=16 (local.get $arg))))
                (br $found)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $scan)))))
    (if (i32.gt_u (local.get $count) (local.get $limit)) (then (local.set $count (local.get $limit))))
    ;; the result goes at the top of the heap: header, rows, then the via string
    (local.set $res (i32.and (i32.add (global.get $heap) (i32.const 7)) (i32.const -8)))
    (local.set $via (i32.add (i32.const 32) (i32.mul (local.get $count) (i32.const 24))))
    (local.set $size (i32.add (local.get $via) (global.get $via_len)))
    (if (i32.eqz (call $reserve (i32.add (local.get $res) (local.get $size)))) (then unreachable))
    (i32.store (local.get $res) (i32.const 0x31525450))  ;; "PTR1"
    (i32.store offset=4 (local.get $res) (i32.const 0))
    (i32.store offset=8 (local.get $res) (local.get $count))
    (i32.store offset=12 (local.get $res) (i32.const 32))
    (i64.store offset=16 (local.get $res) (i64.const 0))
    (i64.store offset=24 (local.get $res) (i64.const 0))
    (memory.copy (i32.add (local.get $res) (local.get $via)) (i32.const 16) (global.get $via_len))
    (local.set $i (i32.const 0))
    (block $end
      (loop $rows
        (br_if $end (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $node (i32.load (i32.add (local.get $list) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $row (i32.add (i32.add (local.get $res) (i32.const 32)) (i32.mul (local.get $i) (i32.const 24))))
        (i32.store (local.get $row) (local.get $node))
        (i32.store offset=4 (local.get $row)
          (if (result i32) (i32.and (i32.ne (local.get $offsets) (i32.const 0))
                                    (i32.lt_u (local.get $node) (local.get $nodes)))
            (then (i32.sub
              (i32.load offset=4 (i32.add (local.get $offsets) (i32.shl (local.get $node) (i32.const 2))))
              (i32.load (i32.add (local.get $offsets) (i32.shl (local.get $node) (i32.const 2))))))
            (else (i32.const 0x80000000))))
        (i32.store offset=8 (local.get $row) (local.get $via))
        (i32.store offset=12 (local.get $row) (global.get $via_len))
        (i64.store offset=16 (local.get $row) (i64.const 0))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows)))
    ;; the result slot in the request: address (u64) and length (u32)
    (i64.store offset=48 (local.get $req) (i64.extend_i32_u (local.get $res)))
    (i32.store offset=56 (local.get $req) (local.get $size))
    (i64.const 0))
)
