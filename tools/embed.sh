#!/bin/sh
# embed.sh NAME FILE: print FILE as a C string constant named NAME.
set -e
name=$1
file=$2
printf '/* Generated from %s by tools/embed.sh. Do not edit. */\n' "$file"
printf 'const char %s[] =\n' "$name"
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$/\\n"/' "$file"
printf ';\n'
