# bench/s3proxy.sh: sourced by bench/s3.sh and bench/lazy.sh. start_s3proxy starts S3Proxy 4.x (the
# jar Maven copies into cli/dom0/target/s3proxy/) on a free port of 127.0.0.1 with a filesystem store
# in a temporary directory, exports AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION for it,
# sets s3_endpoint, and stops it on exit.
start_s3proxy() {
    jar=$(ls "$root"/cli/dom0/target/s3proxy/s3proxy-4.*-jar-with-dependencies.jar 2>/dev/null | head -1)
    [ -n "$jar" ] || { echo "s3proxy: no S3Proxy jar in cli/dom0/target/s3proxy (bin/build -pl cli/dom0 -am verify -DskipTests copies it)" >&2; exit 1; }
    java=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
    work=$(mktemp -d)
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    printf '%s\n' "s3proxy.endpoint=http://127.0.0.1:$port" "s3proxy.authorization=aws-v2-or-v4" \
        "s3proxy.identity=bench-access" "s3proxy.credential=bench-secret" "jclouds.provider=filesystem-nio2" \
        "jclouds.filesystem.basedir=$work/data" > "$work/s3proxy.properties"
    mkdir -p "$work/data"
    "$java" -Xmx1g -jar "$jar" --properties "$work/s3proxy.properties" > "$work/s3proxy.log" 2>&1 &
    pid=$!
    trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
    for _ in $(seq 300); do
        (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
        kill -0 $pid 2>/dev/null || { cat "$work/s3proxy.log" >&2; exit 1; }
        sleep 0.2
    done
    export AWS_ACCESS_KEY_ID=bench-access AWS_SECRET_ACCESS_KEY=bench-secret AWS_REGION=us-east-1
    s3_endpoint=http://127.0.0.1:$port
    echo "S3Proxy $(basename "$jar") on 127.0.0.1:$port, objects in $work/data (the same disk as the repositories)"
}
