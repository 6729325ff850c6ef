; Everything the Python extractor looks at, found in one pass. Definitions open scopes; the other
; captures are assigned to their innermost scope by byte range.

(function_definition) @def
(class_definition) @def
(lambda) @def

(call) @call
(import_statement) @import
(import_from_statement) @import
(assignment) @assign
(augmented_assignment) @augassign
(return_statement) @return
(named_expression) @walrus
(global_statement) @global
(raise_statement . [(identifier) (attribute)] @raise)
(nonlocal_statement) @global

(for_statement left: (_) @target)
(for_in_clause left: (_) @target)
(as_pattern alias: (as_pattern_target) @astarget)
