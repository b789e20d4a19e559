#!/usr/bin/env bash
# Builds the operator image with buildah, without a daemon and without pulling any base image:
#   layer 1, the runtime: a jlink-ed Java 17 (only the modules the application uses) and the few shared libraries
#            it loads (glibc, zlib, libgcc, libstdc++), copied from this machine's Debian packages, plus
#            /etc/passwd with the non-root user 10001 and a world-writable /tmp. No shell, no package manager.
#            Built once per JDK/library version into ~/.cache/phasegate/image/ and reused.
#   layer 2, the application: target/quarkus-app (mvn package) under /app, owned by root, read-only to the user.
# APPCDS=1 adds class-data archives written by the image's runtime (faster start, but not reproducible).
# Output: the image in buildah's local storage ($IMAGE) and target/phasegate-image.oci.tar (OCI archive) with
# its software bill of materials next to it (target/phasegate-image.sbom/). docs/install.md, "The image".
#
# Reproducible: file times are clamped (runtime layer: 0; application layer and image: the commit's time),
# file order sorted, owners numeric, no build history and no buildah version label, so the same package built
# with the same JDK and Debian packages gives the same image digest (across mvn package runs not yet: Quarkus
# 3.30's generated-bytecode.jar varies, docs/install.md).
set -euo pipefail
cd "$(dirname "$0")/../../.."

APP_VERSION=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' helm/phasegate/Chart.yaml)
POM_VERSION=$(sed -n '0,/<version>/s/.*<version>\(.*\)<\/version>.*/\1/p' pom.xml)
IMAGE=${IMAGE:-localhost/phasegate:$APP_VERSION}
ARCHIVE=${ARCHIVE:-target/phasegate-image.oci.tar}
SBOM_DIR=${ARCHIVE%.oci.tar}.sbom
CACHE=${PHASEGATE_CACHE:-$HOME/.cache/phasegate}/image
# Where the source is: IMAGE_SOURCE, else the URL of the git remote "origin" (no label when there is neither).
SOURCE=${IMAGE_SOURCE:-$(git remote get-url origin 2>/dev/null || true)}
REVISION=$(git rev-parse HEAD)
# A build from uncommitted changes says so, instead of claiming the commit's revision.
[ -z "$(git status --porcelain)" ] || REVISION="$REVISION-dirty"
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
export SOURCE_DATE_EPOCH

# What the application needs from the JDK: jdeps -summary over each jar of target/quarkus-app (the module
# descriptors of the modular ones) gives java.base, java.compiler, java.desktop (java.beans), java.logging,
# java.management, java.naming, java.net.http, java.rmi, java.security.jgss, java.sql, java.transaction.xa,
# java.xml, jdk.management, jdk.unsupported (jdk.compiler too, only from vertx-codegen, which runs at build time).
# Added because they are loaded by name at run time: jdk.crypto.ec (TLS with EC keys: API servers, databases),
# jdk.naming.dns and jdk.zipfs.
MODULES=java.base,java.compiler,java.desktop,java.logging,java.management,java.naming,java.net.http,java.rmi,\
java.security.jgss,java.sql,java.transaction.xa,java.xml,jdk.management,jdk.unsupported,jdk.crypto.ec,\
jdk.naming.dns,jdk.zipfs
# java.desktop brings native libraries for windows, fonts, images and sound, which a headless operator never
# loads; removed, so that X11, freetype, libpng and ALSA stay out of the image.
GUI_LIBS="libawt_xawt.so libjawt.so libsplashscreen.so libfontmanager.so libjavajpeg.so liblcms.so libjsound.so"
JAVA_HOME=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}
UID_GID=10001
# The image's default JVM settings (JDK_JAVA_OPTIONS), the Deployment's and the chart's: docs/benchmarks.md, footprint.
IMAGE_JAVA_OPTIONS="-XX:MaxRAMPercentage=50 -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=32m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30 -Xss512k -XX:CICompilerCount=1 -XX:MaxNewSize=8m -XX:NewSize=8m -Xms24m -XX:TrimNativeHeapInterval=5000"

need() { command -v "$1" >/dev/null || { echo "make image needs $1 ($2)" >&2; exit 1; }; }
need buildah "apt-get install buildah"
need jlink "a JDK 17 with jmods: apt-get install openjdk-17-jdk-headless"
need dpkg-query "a Debian or Ubuntu machine: the runtime's libraries are copied from its packages"
need jq "apt-get install jq"
[ -d "$JAVA_HOME/jmods" ] || { echo "no jmods in $JAVA_HOME (JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64)" >&2; exit 1; }
[ -f target/quarkus-app/quarkus-run.jar ] || { echo "no target/quarkus-app: run mvn package -DskipTests" >&2; exit 1; }
# The runtime is this JDK's: an option it does not know would stop every pod at its first start.
"$JAVA_HOME/bin/java" $IMAGE_JAVA_OPTIONS -version >/dev/null 2>&1 || { echo "$JAVA_HOME/bin/java does not accept" \
    "the image's JVM options ($IMAGE_JAVA_OPTIONS); -XX:TrimNativeHeapInterval needs a recent JDK 17 update" >&2; exit 1; }

# Deterministic tar: sorted names, clamped times, numeric root ownership, no atime/ctime, no user names.
det_tar() { # det_tar OUT DIR MTIME
    tar --sort=name --mtime="@$3" --clamp-mtime --owner=0 --group=0 --numeric-owner --format=posix \
        --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -C "$2" -cf "$1" .
}

# ---------------------------------------------------------------- layer 1: the runtime (cached)
JDK_PKG=$(dpkg -S "$(readlink -f "$JAVA_HOME/jmods/java.base.jmod")" | cut -d: -f1)
RUNTIME_KEY=$( { cat "$JAVA_HOME/release"; echo "$MODULES $GUI_LIBS"; sed -n '/^# BEGIN runtime/,/^# END runtime/p' "$0";
    dpkg-query -W libc6 zlib1g libgcc-s1 libstdc++6 "$JDK_PKG"; } | sha256sum | cut -c1-16)
RUNTIME_TAR=$CACHE/runtime-$RUNTIME_KEY.tar
RUNTIME_PKGS=$CACHE/runtime-$RUNTIME_KEY.packages
RUNTIME_IMAGE=localhost/phasegate-runtime:$RUNTIME_KEY
mkdir -p "$CACHE" target

# BEGIN runtime
build_runtime() {
    local root; root=$(mktemp -d); trap 'rm -rf "$root"' RETURN
    "$JAVA_HOME/bin/jlink" --add-modules "$MODULES" --strip-debug --no-header-files --no-man-pages \
        --output "$root/opt/java"
    for lib in $GUI_LIBS; do rm "$root/opt/java/lib/$lib"; done
    rm -f "$root/opt/java/bin/keytool" "$root/opt/java/bin/rmiregistry"
    # Every shared library the runtime's binaries load (ldd is transitive), at the path the loader finds it.
    local libs
    libs=$(find "$root/opt/java" -type f \( -name '*.so' -o -path '*/bin/*' \) -exec ldd {} + 2>/dev/null \
        | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\/.*ld-linux/ {print $1}' \
        | grep -v "^$root/" | sort -u)
    for lib in $libs; do
        install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
    done
    mkdir -p "$root/etc" "$root/tmp"
    chmod 1777 "$root/tmp"
    printf 'root:x:0:0:root:/root:/nonexistent\nphasegate:x:%s:%s:phasegate:/tmp:/nonexistent\n' $UID_GID $UID_GID \
        >"$root/etc/passwd"
    printf 'root:x:0:\nphasegate:x:%s:\n' $UID_GID >"$root/etc/group"
    printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
    chmod -R go-w "$root/opt" "$root/etc" "$root/lib"* "$root/usr" 2>/dev/null || true
    # Which Debian package each copied file comes from: the runtime part of the bill of materials.
    { for lib in $libs "$JAVA_HOME/jmods/java.base.jmod"; do
        dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "$lib"
      done; } | cut -d: -f1 | sort -u | xargs dpkg-query -W -f '${Package} ${Version} ${Architecture}\n' \
        >"$RUNTIME_PKGS.tmp"
    det_tar "$RUNTIME_TAR.tmp" "$root" 0
    mv "$RUNTIME_PKGS.tmp" "$RUNTIME_PKGS"
    mv "$RUNTIME_TAR.tmp" "$RUNTIME_TAR"
}
# END runtime

start=$(date +%s)
if [ ! -f "$RUNTIME_TAR" ]; then
    echo "building the runtime layer into $RUNTIME_TAR (once per JDK and library version)"
    build_runtime
fi
# The runtime this build uses, for benchmarks that run the image's java (docs/benchmarks.md): the cache keeps the
# runtimes of earlier JDK and library versions next to it.
ln -sfn "$RUNTIME_TAR" target/image-runtime.tar
if ! buildah inspect --type image "$RUNTIME_IMAGE" >/dev/null 2>&1; then
    ctr=$(buildah from scratch)
    buildah add --quiet "$ctr" "$RUNTIME_TAR" / >/dev/null
    buildah commit --quiet --timestamp 0 --omit-history --identity-label=false --rm "$ctr" "$RUNTIME_IMAGE" >/dev/null
fi

# ---------------------------------------------------------------- layer 2: the application
app=$(mktemp -d)
trap 'rm -rf "$app"' EXIT
mkdir -p "$app/root/app" "$app/cds"
cp -r target/quarkus-app/. "$app/root/app/"
# mvn package's class-data archive serves only the JDK that built it (and the jars at its paths), not this runtime.
rm -f "$app/root/app/app-cds.jsa"
chmod -R u=rwX,go=rX "$app/root/app"
det_tar "$app/app.tar" "$app/root" "$SOURCE_DATE_EPOCH"

ctr=$(buildah from --pull-never "$RUNTIME_IMAGE")
trap 'rm -rf "$app"; buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
java_args='"/opt/java/bin/java",'
if [ "${APPCDS:-0}" = 1 ]; then
    # Class-data sharing (docs/benchmarks.md, footprint): the image's own java, on the image's files at their paths
    # (an archive names the jars by path, size and time) and under the pod's JVM settings and 384Mi limit (it is
    # only usable with the same compressed-pointer mode), writes the JDK's archive (the jlink-ed runtime has none)
    # and on top of it the application's: Quarkus stops the application once its beans exist, before it needs a
    # cluster (quarkus.package.jar.appcds.enabled), and the JVM archives the classes loaded by then. Opt-in because
    # Java 17 writes these archives differently on every run, so the image is no longer reproducible.
    buildah add --quiet "$ctr" "$app/app.tar" / >/dev/null
    cds_run() { buildah run --isolation chroot -v "$app/cds:/cds" "$ctr" -- /opt/java/bin/java -XX:MaxRAM=384m \
        $IMAGE_JAVA_OPTIONS "$@" >>"$app/cds/generate.log" 2>&1 \
        || { cat "$app/cds/generate.log" >&2; echo "class-data archive: generation failed" >&2; exit 1; }; }
    cds_run -Xshare:dump -XX:SharedArchiveFile=/cds/jdk-cds.jsa
    cds_run -XX:SharedArchiveFile=/cds/jdk-cds.jsa -XX:ArchiveClassesAtExit=/cds/app-cds.jsa -Xlog:cds=off \
        -Xlog:cds+dynamic=warning -Djava.util.logging.manager=org.jboss.logmanager.LogManager \
        -Dquarkus.appcds.generate=true -jar /app/quarkus-run.jar
    buildah rm "$ctr" >/dev/null
    install -m 0444 "$app/cds/jdk-cds.jsa" "$app/cds/app-cds.jsa" "$app/root/app/"
    det_tar "$app/app.tar" "$app/root" "$SOURCE_DATE_EPOCH"
    ctr=$(buildah from --pull-never "$RUNTIME_IMAGE")
    java_args+='"-XX:SharedArchiveFile=/app/jdk-cds.jsa:/app/app-cds.jsa",'
fi
buildah add --quiet "$ctr" "$app/app.tar" / >/dev/null
labels=(
    --label "org.opencontainers.image.title=phasegate"
    --label "org.opencontainers.image.description=Kubernetes operator for phased PostgreSQL schema migrations"
    --label "org.opencontainers.image.version=$POM_VERSION"
    --label "org.opencontainers.image.revision=$REVISION"
)
[ -n "$SOURCE" ] && labels+=(--label "org.opencontainers.image.source=$SOURCE")
annotations=()
for l in "${labels[@]}"; do [ "$l" = --label ] || annotations+=(--annotation "$l"); done
# No shell in the image: java is the entrypoint. JDK_JAVA_OPTIONS (read by the java launcher) carries the heap
# ratio so that the Deployment can change it without a wrapper script.
buildah config "${labels[@]}" "${annotations[@]}" \
    --user "$UID_GID:$UID_GID" --workingdir /tmp --port 8080/tcp \
    --env JDK_JAVA_OPTIONS="$IMAGE_JAVA_OPTIONS" --env LANG=C.UTF-8 \
    --entrypoint '['"$java_args"'"-XX:+ExitOnOutOfMemoryError","-Djava.awt.headless=true","-Djava.util.logging.manager=org.jboss.logmanager.LogManager","-Dquarkus.http.host=0.0.0.0","-jar","/app/quarkus-run.jar"]' \
    "$ctr"
previous=$(buildah images --quiet --no-trunc "$IMAGE" 2>/dev/null || true)
built=$(buildah commit --quiet --timestamp "$SOURCE_DATE_EPOCH" --omit-history --identity-label=false "$ctr" "$IMAGE")
# The image this one replaces under the same name would stay behind, nameless, after every build.
[ -z "$previous" ] || [ "$previous" = "sha256:$built" ] || [ "$previous" = "$built" ] \
    || buildah rmi "$previous" >/dev/null 2>&1 || true

rm -f "$ARCHIVE"
buildah push --quiet "$IMAGE" "oci-archive:$ARCHIVE:$IMAGE"
DIGEST=$(skopeo inspect --format '{{.Digest}}' "oci-archive:$ARCHIVE" 2>/dev/null \
    || tar -xOf "$ARCHIVE" index.json | jq -r '.manifests[0].digest')

# ---------------------------------------------------------------- bill of materials
mkdir -p "$SBOM_DIR"
cp "$RUNTIME_PKGS" "$SBOM_DIR/debian-packages.txt"
[ -f target/bom.json ] && cp target/bom.json "$SBOM_DIR/java-dependencies.cdx.json"
jq -n --arg ts "$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)" --arg image "$IMAGE" \
   --arg digest "$DIGEST" --arg modules "$MODULES" --rawfile pkgs "$RUNTIME_PKGS" '{
  bomFormat: "CycloneDX", specVersion: "1.5", version: 1,
  metadata: {timestamp: $ts, component: {type: "container", name: $image, version: $digest}},
  components: ([$pkgs | split("\n")[] | select(length > 0) | split(" ") |
    {type: "library", name: .[0], version: .[1],
     purl: "pkg:deb/debian/\(.[0])@\(.[1] | @uri)?arch=\(.[2])"}]
    + [{type: "framework", name: "java-runtime-modules", version: $modules}])
}' >"$SBOM_DIR/runtime.cdx.json"
printf '%s\n' "$DIGEST" >"${ARCHIVE%.oci.tar}.digest"

size=$(buildah inspect --type image --format '{{.Size}}' "$IMAGE" 2>/dev/null || echo "?")
echo "image $IMAGE ($DIGEST), revision $REVISION"
echo "archive $ARCHIVE: $(du -h "$ARCHIVE" | cut -f1) compressed; sbom in $SBOM_DIR; built in $(( $(date +%s) - start )) s"
