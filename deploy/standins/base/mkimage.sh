#!/usr/bin/env bash
# The Debian bookworm base of every stand-in image. Nothing can be pulled from Docker Hub on
# these machines, so the base comes from Debian's archive: debootstrap --variant=minbase, then
# `docker import`. Called by scripts/docker.sh, which names TAG after a hash of this folder.
# Usage: deploy/standins/base/mkimage.sh TAG [MIRROR]
set -euo pipefail

tag=$1
mirror=${2:-http://deb.debian.org/debian}
suite=bookworm
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PATH="$PATH:/usr/sbin:/sbin"

# /var/tmp, not /tmp: the tree is ~150 MB and /tmp may be a small tmpfs.
work=$(mktemp -d /var/tmp/portal-standin-base.XXXXXX)
root="$work/root"
cleanup() {
  # debootstrap mounts proc/sys inside the target; a failed run can leave them mounted, and
  # rm -rf must never walk into the host's /proc or /sys.
  local m
  for m in dev/pts dev proc sys; do
    if mountpoint -q "$root/$m" 2>/dev/null; then umount -l "$root/$m" || true; fi
  done
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

echo "==> base: debootstrap --variant=minbase $suite from $mirror"
if ! debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1; then
  tail -n 30 "$work/debootstrap.log" >&2
  tail -n 30 "$root/debootstrap/debootstrap.log" >&2 2>/dev/null || true
  exit 1
fi

cp -a "$here/rootfs/." "$root/"
# Point releases, updates and security fixes, like the official debian images.
rm -f "$root/etc/apt/sources.list"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES

# The dpkg excludes above only apply to later installs: drop what debootstrap put there.
find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
rm -rf "$root"/usr/share/{man,info,lintian}/* "$root"/var/lib/apt/lists/* \
  "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/log/*.log
# Docker provides these per container; the host's copies must not be baked in.
: >"$root/etc/resolv.conf"; : >"$root/etc/hostname"
[[ ! -e "$root/etc/machine-id" ]] || : >"$root/etc/machine-id"

echo "==> base: docker import as $tag"
tar --numeric-owner --xattrs -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["bash"]' \
  --message "debootstrap --variant=minbase $suite $mirror" - "$tag" >/dev/null
