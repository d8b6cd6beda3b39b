#!/bin/sh
# Builds libyaml with coverage and AddressSanitizer for the fuzzers (`make fuzz`), so that
# libFuzzer sees and steers the parser's own branches and ASan checks its memory accesses.
# Debian's libyaml-0-2 is not instrumented: linked against it, the fuzzers are blind inside
# the library.
#
# The source is Debian's source package of the libyaml the project builds against
# (bookworm's 0.2.5-1; that package carries no patches, so its source is the .orig tarball,
# checked against the SHA-256 its .dsc lists). Prints the folder holding libyaml.a (and
# beside it pkgconfig/yaml-0.1.pc) on standard output, or nothing (and a warning on standard error) when the source cannot be
# fetched: the fuzzers then link the system's library.
set -eu
cd "$(dirname "$0")"
VERSION=0.2.5
SHA256=fa240dbf262be053f3898006d502d514936c818e422afdcf33921c63bed9bf2e
URL=${LIBYAML_SOURCE_URL:-http://deb.debian.org/debian/pool/main/liby/libyaml/libyaml_$VERSION.orig.tar.gz}
DIR=.libyaml
LIB=$DIR/lib/libyaml.a
CC=clang
FLAGS="-O1 -g -fsanitize=fuzzer-no-link,address"

installed=$(dpkg-query -W -f '${Version}' libyaml-dev 2>/dev/null || true)
case $installed in
  "$VERSION"-*) ;;
  *) echo "libyaml.sh: the system's libyaml-dev is '$installed', not $VERSION: the headers would not match; using the system's library" >&2; exit 0 ;;
esac

# Rebuilt when the flags change, so a stale archive is never linked.
if [ -f "$LIB" ] && [ "$(cat "$DIR/flags" 2>/dev/null)" = "$CC $FLAGS" ]; then
  echo "$(pwd)/$DIR/lib"
  exit 0
fi
rm -rf "$DIR"
mkdir -p "$DIR/lib" "$DIR/obj"
tarball=$DIR/libyaml_$VERSION.orig.tar.gz
if ! curl -fsS --retry 2 -o "$tarball" "$URL"; then
  echo "libyaml.sh: cannot fetch $URL; the fuzzers link the system's uninstrumented libyaml" >&2
  rm -rf "$DIR"
  exit 0
fi
if [ "$(sha256sum "$tarball" | cut -d' ' -f1)" != "$SHA256" ]; then
  echo "libyaml.sh: $tarball does not have the SHA-256 of Debian's libyaml_$VERSION.orig.tar.gz; not using it" >&2
  rm -rf "$DIR"
  exit 0
fi
tar -xzf "$tarball" -C "$DIR"
src=$DIR/libyaml-$VERSION
for c in "$src"/src/*.c; do
  $CC $FLAGS -I"$src/include" -DYAML_VERSION_MAJOR=0 -DYAML_VERSION_MINOR=2 -DYAML_VERSION_PATCH=5 \
    -DYAML_VERSION_STRING="\"$VERSION\"" -c "$c" -o "$DIR/obj/$(basename "$c" .c).o"
done
ar rcs "$LIB" "$DIR"/obj/*.o
# The package's CYAML target finds libyaml through pkg-config (yaml-0.1); this file, first on
# PKG_CONFIG_PATH, points it at the archive (the only libyaml in its folder) and at the
# source's own headers.
mkdir -p "$DIR/pkgconfig"
cat > "$DIR/pkgconfig/yaml-0.1.pc" <<EOF
Name: LibYAML
Description: libyaml $VERSION instrumented for fuzzing (Fuzz/libyaml.sh)
Version: $VERSION
Cflags: -I$(pwd)/$src/include
Libs: -L$(pwd)/$DIR/lib -lyaml
EOF
echo "$CC $FLAGS" > "$DIR/flags"
echo "libyaml.sh: built an instrumented libyaml $VERSION in Fuzz/$DIR/lib" >&2
echo "$(pwd)/$DIR/lib"
