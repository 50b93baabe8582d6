#!/bin/sh
# Emit an assembler file embedding the files given on the command line (the
# schemas and the demo organisation): symbols mcx_file_<n> and a table
# mcx_schemas[] of {name, start, end} ending with zeros (see xcap/usage.h
# xcap_embedded). Schemas are named by their basename ("xml.xsd"), demo
# files as "demo/<basename>".
set -eu
name() { case "$1" in demo/*) echo "demo/$(basename "$1")" ;; *) basename "$1" ;; esac; }
echo '	.section .rodata'
i=0
for f in "$@"; do
  printf '	.balign 8\nmcx_file_%d:\n	.incbin "%s"\nmcx_file_%d_end:\n	.byte 0\n' $i "$f" $i
  i=$((i + 1))
done
i=0
for f in "$@"; do
  printf 'mcx_name_%d:\n	.asciz "%s"\n' $i "$(name "$f")"
  i=$((i + 1))
done
echo '	.section .data.rel.ro'
echo '	.global mcx_schemas'
echo '	.balign 8'
echo 'mcx_schemas:'
i=0
for f in "$@"; do
  printf '	.quad mcx_name_%d, mcx_file_%d, mcx_file_%d_end\n' $i $i $i
  i=$((i + 1))
done
echo '	.quad 0, 0, 0'
echo '	.section .note.GNU-stack,"",@progbits'
