#!/usr/bin/env bash
# Puts Mermaid's own browser bundle (mermaid.min.js from the npm registry, pinned and checked)
# where the tests look for it: they parse and render `erplan diagram --format mermaid` with it
# in headless Chromium. Needs npm; needs no root.
set -euo pipefail
VERSION=11.12.0
INTEGRITY=sha512-ZudVx73BwrMJfCFmSSJT84y6u5brEoV8DOItdHomNLz32uBjNrelm7mg95X7g+C6UoQH/W6mBLGDEDv73JdxBg==
dest=${1:?usage: install-mermaid.sh DIRECTORY}
if [ -s "$dest/mermaid-$VERSION.min.js" ]; then exit 0; fi
if ! command -v npm >/dev/null 2>&1; then
  echo "mermaid: npm not found, the Mermaid parser test will be skipped"; exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "mermaid@$VERSION" >/dev/null)
tarball="$work/mermaid-$VERSION.tgz"
got="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$got" != "$INTEGRITY" ]; then
  echo "mermaid: the downloaded package does not match its pinned integrity" >&2; exit 1
fi
tar -xzf "$tarball" -C "$work" package/dist/mermaid.min.js
mkdir -p "$dest"
mv "$work/package/dist/mermaid.min.js" "$dest/mermaid-$VERSION.min.js.tmp"
mv "$dest/mermaid-$VERSION.min.js.tmp" "$dest/mermaid-$VERSION.min.js"
echo "mermaid: $dest/mermaid-$VERSION.min.js"
