#!/bin/sh
# Emit an assembler file that embeds each schema given on the command line:
# symbol mcx_schema_<base>[] and mcx_schema_<base>_end, plus a table
# mcx_schemas[] of {name, start, end} terminated by zeros (see core/schema.h).
set -eu
echo '	.section .rodata'
for f in "$@"; do
  n=$(basename "$f" .xsd | tr -c 'a-zA-Z0-9\n' '_')
  printf '	.global mcx_schema_%s\n	.global mcx_schema_%s_end\n' "$n" "$n"
  printf 'mcx_schema_%s:\n	.incbin "%s"\nmcx_schema_%s_end:\n	.byte 0\n' "$n" "$f" "$n"
done
echo '	.section .data.rel.ro'
echo '	.global mcx_schemas'
echo '	.balign 8'
echo 'mcx_schemas:'
for f in "$@"; do
  n=$(basename "$f" .xsd | tr -c 'a-zA-Z0-9\n' '_')
  printf '	.quad name_%s, mcx_schema_%s, mcx_schema_%s_end\n' "$n" "$n" "$n"
done
echo '	.quad 0, 0, 0'
echo '	.section .rodata'
for f in "$@"; do
  n=$(basename "$f" .xsd | tr -c 'a-zA-Z0-9\n' '_')
  printf 'name_%s:\n	.asciz "%s"\n' "$n" "$(basename "$f")"
done
echo '	.section .note.GNU-stack,"",@progbits'
