# shellcheck shell=bash
# Apache Kafka 4.x, single node in KRaft mode (combined broker + controller) on 127.0.0.1:9092
# (controller 127.0.0.1:9093). The jars come from Maven Central through Maven
# (infra/kafka/pom.xml -> ${EB_RUN_DIR}/kafka/lib); the broker runs as `java -cp 'lib/*' kafka.Kafka`.
# Topics come from infra/topics.txt, created by infra/kafka_topics.py. Sourced by infra/lib.sh.

KAFKA_DIR=$RUN_DIR/kafka
KAFKA_LIB=$KAFKA_DIR/lib
KAFKA_DATA=$KAFKA_DIR/data
KAFKA_LOGS=$KAFKA_DIR/logs
KAFKA_PID=$KAFKA_DIR/kafka.pid
KAFKA_PROPS=$KAFKA_DIR/server.properties
KAFKA_OUT=$KAFKA_LOGS/kafka.out
KAFKA_POM=$INFRA_DIR/kafka/pom.xml
KAFKA_HEAP_OPTS=${EB_KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}
# Short-lived tools (storage format, topic fallback): small heap, fast JIT start.
KAFKA_TOOL_OPTS=(-Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC)

_kafka_bootstrap() { echo "$KAFKA_HOST:$KAFKA_PORT"; }

# The broker's pid, found by its command line (the pid file is only a cache).
_kafka_find_pid() { pgrep -o -f "^java .*kafka\.Kafka $KAFKA_PROPS" 2>/dev/null; }

# _kafka_pid: print the broker's pid when it runs (recovering it if the pid file was lost).
_kafka_pid() {
    local pid
    if pid=$(pidfile_pid "$KAFKA_PID" "kafka.Kafka $KAFKA_PROPS"); then
        echo "$pid"
        return 0
    fi
    pid=$(_kafka_find_pid) || return 1
    echo "$pid" >"$KAFKA_PID"
    echo "$pid"
}

# Copy the broker's jars from the local Maven repository (downloading them on first use).
# Skipped while lib/ matches the current pom.xml.
_kafka_fetch_jars() {
    local stamp=$KAFKA_LIB/.pom.sha256 want
    want=$(sha256sum "$KAFKA_POM" | cut -d' ' -f1)
    if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
        return 0
    fi
    command -v mvn >/dev/null || fail kafka "mvn is not installed (Maven resolves the Kafka jars)"
    command -v java >/dev/null || fail kafka "java is not installed (Kafka needs Java 17+)"
    say "kafka: resolving jars with Maven ($(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_POM"))"
    mkdir -p "$KAFKA_DIR" "$KAFKA_LOGS"
    rm -rf "$KAFKA_LIB.tmp"
    if ! mvn -B -q -f "$KAFKA_POM" dependency:copy-dependencies -DincludeScope=runtime \
        -DoutputDirectory="$KAFKA_LIB.tmp" >"$KAFKA_LOGS/maven.log" 2>&1; then
        fail kafka "mvn dependency:copy-dependencies failed" "$KAFKA_LOGS/maven.log"
    fi
    echo "$want" >"$KAFKA_LIB.tmp/.pom.sha256"
    rm -rf "$KAFKA_LIB"
    mv "$KAFKA_LIB.tmp" "$KAFKA_LIB"
}

_kafka_render_props() {
    sed "s|@KAFKA_DATA_DIR@|$KAFKA_DATA|g" "$INFRA_DIR/kafka/server.properties" >"$KAFKA_PROPS.tmp"
    mv "$KAFKA_PROPS.tmp" "$KAFKA_PROPS"
}

# A KRaft cluster id: 16 random bytes, URL-safe base64 without padding, not starting with '-'.
_kafka_new_cluster_id() {
    local id
    while :; do
        id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
        [[ $id != -* ]] && break
    done
    echo "$id"
}

_kafka_format() {
    [[ -f $KAFKA_DATA/meta.properties ]] && return 0
    local id
    id=$(_kafka_new_cluster_id)
    say "kafka: formatting $KAFKA_DATA (cluster id $id)"
    mkdir -p "$KAFKA_DATA"
    java "${KAFKA_TOOL_OPTS[@]}" -Dlog4j2.configurationFile="$INFRA_DIR/kafka/log4j2.xml" \
        -Dkafka.logs.dir="$KAFKA_LOGS" -cp "$KAFKA_LIB/*" kafka.tools.StorageTool \
        format --standalone --cluster-id "$id" --config "$KAFKA_PROPS" \
        >"$KAFKA_LOGS/format.log" 2>&1 || fail kafka "storage format failed" "$KAFKA_LOGS/format.log"
}

# Topic administration: kafka-python from the project's venv (one process for all topics);
# without a venv, fall back to Kafka's TopicCommand (one JVM per call, ~3 s each).
_kafka_topics() {
    local action=$1
    if [[ -x $VENV_PYTHON ]]; then
        "$VENV_PYTHON" "$INFRA_DIR/kafka_topics.py" --bootstrap "$(_kafka_bootstrap)" \
            --topics "$INFRA_DIR/topics.txt" "$action"
        return
    fi
    local topic_cmd=(java "${KAFKA_TOOL_OPTS[@]}" -Dlog4j2.configurationFile="$INFRA_DIR/kafka/log4j2.xml"
        -Dkafka.logs.dir="$KAFKA_LOGS" -cp "$KAFKA_LIB/*" org.apache.kafka.tools.TopicCommand
        --bootstrap-server "$(_kafka_bootstrap)")
    local existing name partitions missing=0
    existing=$("${topic_cmd[@]}" --list) || return 1
    while read -r name partitions; do
        grep -qxF "$name" <<<"$existing" && continue
        if [[ $action == check ]]; then
            echo "missing topic $name" >&2
            missing=1
            continue
        fi
        "${topic_cmd[@]}" --create --if-not-exists --topic "$name" --partitions "$partitions" \
            --replication-factor 1 >&2 || return 1
    done < <(grep -v '^[[:space:]]*\(#\|$\)' "$INFRA_DIR/topics.txt")
    [[ $missing -eq 0 ]] && echo "$(grep -cv '^[[:space:]]*\(#\|$\)' "$INFRA_DIR/topics.txt") topics ok"
    return "$missing"
}

_kafka_start() {
    say "kafka: starting on $(_kafka_bootstrap) (controller $KAFKA_HOST:$KAFKA_CONTROLLER_PORT)"
    local gc_opts=(-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
        -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true)
    # shellcheck disable=SC2086 # KAFKA_HEAP_OPTS holds several JVM flags
    (
        cd "$KAFKA_DIR" || exit 1
        exec setsid java $KAFKA_HEAP_OPTS "${gc_opts[@]}" \
            -Dlog4j2.configurationFile="$INFRA_DIR/kafka/log4j2.xml" -Dkafka.logs.dir="$KAFKA_LOGS" \
            -cp "$KAFKA_LIB/*" kafka.Kafka "$KAFKA_PROPS" </dev/null >>"$KAFKA_OUT" 2>&1 9>&-
    ) &
    local launched=$!
    # `setsid` execs in place unless it must fork; either way the broker is found by its command line.
    local pid=""
    wait_for 10 _kafka_find_pid >/dev/null || true
    pid=$(_kafka_find_pid) || pid=$launched
    echo "$pid" >"$KAFKA_PID"
}

_kafka_listening() {
    _kafka_pid >/dev/null || return 2
    port_open "$KAFKA_HOST" "$KAFKA_PORT"
}

kafka_up() {
    mkdir -p "$KAFKA_DIR" "$KAFKA_LOGS"
    _kafka_fetch_jars
    _kafka_render_props
    local pid
    if pid=$(_kafka_pid); then
        say "kafka: already running (pid $pid)"
    else
        if port_open "$KAFKA_HOST" "$KAFKA_PORT" || port_open "$KAFKA_HOST" "$KAFKA_CONTROLLER_PORT"; then
            fail kafka "port $KAFKA_PORT or $KAFKA_CONTROLLER_PORT is taken by a process not started by infra/"
        fi
        _kafka_format
        _kafka_start
    fi
    local deadline=$((SECONDS + 120)) rc
    while :; do
        rc=0
        _kafka_listening || rc=$?
        [[ $rc -eq 0 ]] && break
        [[ $rc -eq 2 ]] && fail kafka "the broker exited during start-up" "$KAFKA_LOGS/server.log" "$KAFKA_OUT"
        ((SECONDS >= deadline)) && fail kafka "not listening on $KAFKA_PORT after 120 s" "$KAFKA_LOGS/server.log" "$KAFKA_OUT"
        sleep 0.5
    done
    local summary
    summary=$(_kafka_topics ensure 2>"$KAFKA_LOGS/topics.err") ||
        fail kafka "creating topics failed" "$KAFKA_LOGS/topics.err" "$KAFKA_LOGS/server.log"
    say "kafka: up (pid $(_kafka_pid)); $summary"
}

kafka_down() {
    local pid
    if pid=$(_kafka_pid); then
        say "kafka: stopping (pid $pid)"
        stop_pid "$pid" 60
    fi
    rm -f "$KAFKA_PID"
    say "kafka: down"
}

# kafka_status: print a one-line description; return 0 when healthy.
kafka_status() {
    local pid summary
    if ! pid=$(_kafka_pid); then
        if port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
            echo "foreign process on $(_kafka_bootstrap) (not started by infra/)"
        else
            echo "down"
        fi
        return 1
    fi
    if ! port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
        echo "starting or unhealthy: pid $pid but $(_kafka_bootstrap) does not accept connections"
        return 1
    fi
    if ! summary=$(_kafka_topics check 2>&1); then
        echo "unhealthy: pid $pid: $(tail -n 1 <<<"$summary")"
        return 1
    fi
    echo "up $(_kafka_bootstrap) pid $pid ($summary)"
}
