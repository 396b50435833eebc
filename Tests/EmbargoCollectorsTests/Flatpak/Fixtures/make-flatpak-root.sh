#!/bin/sh
# Rebuilds flatpak-root/: real flatpak deployments made by Debian's flatpak (1.14) from a local
# repository, trimmed to the files embargo reads (active links, deploy, metadata, AppStream data).
# Usage: sh make-flatpak-root.sh   (needs the flatpak package; touches nothing outside a temp dir)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME="$work/home/alice" XDG_DATA_HOME="$work/home/alice/.local/share" FLATPAK_SYSTEM_DIR="$work/system"
mkdir -p "$HOME" "$FLATPAK_SYSTEM_DIR"
cd "$work"

# A runtime of one file.
mkdir -p rt/usr/bin rt/files
printf '[Runtime]\nname=org.embargo.TestPlatform\nruntime=org.embargo.TestPlatform/x86_64/23.08\nsdk=org.embargo.TestPlatform/x86_64/23.08\n' > rt/metadata
cp /bin/true rt/usr/bin/true
flatpak build-export --runtime repo rt 23.08 >/dev/null
flatpak --system remote-add --no-gpg-verify embargo-test "file://$work/repo"
flatpak --user remote-add --no-gpg-verify embargo-user "file://$work/repo"
flatpak --system install -y --noninteractive embargo-test org.embargo.TestPlatform >/dev/null
flatpak --user install -y --noninteractive embargo-user org.embargo.TestPlatform >/dev/null

# An app whose AppStream data is only a composed catalog (share/app-info/xmls/<id>.xml.gz), from
# which flatpak copies appdata-name/-summary/-version/-license into the deploy data; and an app
# with a metainfo file whose newest release is listed second.
flatpak build-init composed org.embargo.ComposedApp org.embargo.TestPlatform org.embargo.TestPlatform 23.08 >/dev/null
flatpak build-init sample org.embargo.SampleApp org.embargo.TestPlatform org.embargo.TestPlatform 23.08 >/dev/null
mkdir -p composed/files/bin composed/files/share/app-info/xmls sample/files/bin sample/files/share/metainfo
printf '#!/bin/sh\n' > composed/files/bin/composed
printf '#!/bin/sh\n' > sample/files/bin/sample
chmod +x composed/files/bin/composed sample/files/bin/sample
cp "$here/sources/org.embargo.ComposedApp.xml" composed/files/share/app-info/xmls/
gzip -n composed/files/share/app-info/xmls/org.embargo.ComposedApp.xml
cp "$here/sources/org.embargo.SampleApp.metainfo.xml" sample/files/share/metainfo/
for dir in composed sample; do
  flatpak build-finish "$dir" --command="$dir" >/dev/null
  flatpak build-export repo "$dir" stable >/dev/null
done
flatpak --system install -y --noninteractive embargo-test org.embargo.ComposedApp >/dev/null
flatpak --user install -y --noninteractive embargo-user org.embargo.SampleApp >/dev/null

out="$here/flatpak-root"
rm -rf "$out"
copy_installation() {
  src=$1 dst=$2
  for active in $(cd "$src" && find app runtime -name active -type l); do
    branch=$(dirname "$active")
    commit=$(readlink "$src/$active")
    mkdir -p "$dst/$branch/$commit"
    cp -P "$src/$active" "$dst/$branch/active"
    (cd "$src/$branch/$commit" && find . -type f \( -name deploy -o -name metadata -o -name '*.xml' -o -name '*.xml.gz' \) \
      -exec sh -c 'mkdir -p "$1/$(dirname "$2")" && cp -p "$2" "$1/$2"' _ "$dst/$branch/$commit" {} \;)
  done
  for current in $(cd "$src" && find app runtime -maxdepth 2 -name current -type l); do cp -P "$src/$current" "$dst/$current"; done
}
copy_installation "$FLATPAK_SYSTEM_DIR" "$out/var/lib/flatpak"
copy_installation "$XDG_DATA_HOME/flatpak" "$out/home/alice/.local/share/flatpak"
echo "wrote $out"
