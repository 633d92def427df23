#!/usr/bin/env bash
# Installs what the emulation and report tests need, from Debian's packages:
#   FRR (bgpd, zebra), nftables, conntrack, iproute2  - the emulation;
#   chromium, chromium-driver, fonts-dejavu-core      - the report opened in a real browser;
#   graphviz                                          - `erplan diagram --format dot` read back.
# Only as root and only what is missing; the packaged FRR service is never used.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  echo "sysdeps: not root, emulation and browser tests will be skipped"; exit 0
fi
need=()
[ -x /usr/lib/frr/bgpd ] || need+=(frr)
command -v nft >/dev/null 2>&1 || need+=(nftables)
command -v conntrack >/dev/null 2>&1 || need+=(conntrack)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
command -v dot >/dev/null 2>&1 || need+=(graphviz)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
echo "sysdeps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
# The packaged service must not start in the root namespace.
if [ -d /usr/sbin ] && [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now frr >/dev/null 2>&1 || true
fi
