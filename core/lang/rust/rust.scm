; Everything the Rust extractor looks at, in one query (one pass per file).
; Items open a scope for what follows inside them; references are read where they stand.

(function_item) @fn
(function_signature_item) @fn
(struct_item) @struct
(union_item) @struct
(enum_item) @enum
(trait_item) @trait
(impl_item) @impl
(type_item) @alias
(const_item) @value
(static_item) @value
(macro_definition) @macro
(mod_item) @mod
(use_declaration) @use
(extern_crate_declaration) @extern

(call_expression) @call
(macro_invocation) @invoke
(struct_expression) @literal
(let_declaration) @let
(closure_expression) @closure
