#!/bin/sh
# The fake tree's merge_config.sh: "-m -O DIR BASE FRAGMENT...", each fragment's lines after the base's.
[ "$1" = "-m" ] && [ "$2" = "-O" ] || { echo "usage: merge_config.sh -m -O DIR BASE FRAGMENT..." >&2; exit 1; }
out=$3
shift 3
cat "$@" > "$out/.config.merged" && mv "$out/.config.merged" "$out/.config"
