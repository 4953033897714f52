# shellcheck shell=bash
# Apache Kafka 4.x, single node in KRaft mode (combined broker + controller) on
# 127.0.0.1:${EB_KAFKA_PORT:-9092} (controller ${EB_KAFKA_CONTROLLER_PORT:-9093}). The jars come from
# Maven Central through Maven (infra/kafka/pom.xml -> ${EB_RUN_DIR}/kafka/lib); the broker runs as
# `java -cp 'lib/*' kafka.Kafka`. Topics come from infra/topics.txt, created by
# infra/kafka_topics.py. A broker of another run dir on the port (a second checkout) is reused,
# never stopped: only its missing topics are created. Sourced by infra/lib.sh.

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
_kafka_find_pid() { pgrep -o -f "^java .*kafka\.Kafka $KAFKA_PROPS\$" 2>/dev/null; }

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

# _kafka_props: print infra/kafka/server.properties for this run dir: its data dir, and the
# template's 127.0.0.1:9092 / 127.0.0.1:9093 replaced by EB_KAFKA_PORT / EB_KAFKA_CONTROLLER_PORT
# (through placeholders, so that a broker port of 9093 is not then taken for the controller's).
_kafka_props() {
    sed -e "s|@KAFKA_DATA_DIR@|$KAFKA_DATA|g" \
        -e 's|127\.0\.0\.1:9092|@EB_BROKER@|g' -e 's|127\.0\.0\.1:9093|@EB_CONTROLLER@|g' \
        -e "s|@EB_BROKER@|$KAFKA_HOST:$KAFKA_PORT|g" \
        -e "s|@EB_CONTROLLER@|$KAFKA_HOST:$KAFKA_CONTROLLER_PORT|g" \
        "$INFRA_DIR/kafka/server.properties"
}

_kafka_listeners() { grep '^listeners=' "$@"; }

_kafka_render_props() {
    _kafka_props >"$KAFKA_PROPS.tmp"
    if ! _kafka_listeners "$KAFKA_PROPS.tmp" | grep -q "PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT\$"; then
        fail kafka "$INFRA_DIR/kafka/server.properties no longer has listeners on 127.0.0.1:9092 and :9093 (infra/kafka.sh substitutes the ports)"
    fi
    mv "$KAFKA_PROPS.tmp" "$KAFKA_PROPS"
}

# _kafka_api_probe: true when the bootstrap port speaks the Kafka protocol. Sends ApiVersions v0
# (correlation id 0x45420121) and checks that the reply echoes the correlation id; a broker that
# does not support v0 still answers (with UNSUPPORTED_VERSION). Plain bash: no JVM, no venv.
_kafka_api_probe() {
    local reply
    # shellcheck disable=SC2016 # $1/$2 are expanded by the inner bash
    reply=$(timeout 5 bash -c '
        exec 3<>"/dev/tcp/$1/$2" || exit 1
        printf "\x00\x00\x00\x12\x00\x12\x00\x00\x45\x42\x01\x21\x00\x08eb-infra" >&3
        head -c 8 <&3 | od -An -tx1
    ' _ "$KAFKA_HOST" "$KAFKA_PORT" 2>/dev/null) || return 1
    reply=${reply//[[:space:]]/}
    [[ ${reply:8:8} == 45420121 ]]
}

# Topics can be checked with the venv's kafka_topics.py or, without it, with the jars.
_kafka_can_admin() { [[ -x $VENV_PYTHON || -f $KAFKA_LIB/.pom.sha256 ]]; }

_kafka_way_out() {
    local port ctrl
    if [[ $1 == controller ]]; then
        ctrl=$(free_port "$KAFKA_CONTROLLER_PORT" "$KAFKA_PORT")
        echo "set EB_KAFKA_CONTROLLER_PORT=$ctrl, or stop it yourself"
        return 0
    fi
    port=$(free_port "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT")
    ctrl=$(free_port "$port" "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT")
    echo "set EB_KAFKA_PORT=$port EB_KAFKA_CONTROLLER_PORT=$ctrl (and EB_KAFKA_BOOTSTRAP=$KAFKA_HOST:$port for the Brain), or stop it yourself"
}

# _kafka_reuse_foreign: the bootstrap port is held by a process that is not this run dir's broker.
# Reuse it when it speaks Kafka (e.g. another checkout's broker); otherwise refuse. Never stops it.
# Topics: missing ones are created (what that checkout's up.sh would do too); partition counts
# that differ from infra/topics.txt are reported, not changed.
_kafka_reuse_foreign() {
    if ! _kafka_api_probe; then
        refuse kafka "port $KAFKA_PORT is held by $(port_holder "$KAFKA_PORT"), which does not answer the Kafka protocol" \
            "$(_kafka_way_out broker)"
    fi
    say_reusing kafka Kafka "$(_kafka_bootstrap)"
    [[ -x $VENV_PYTHON ]] || _kafka_fetch_jars
    local problems rc=0 summary
    problems=$(_kafka_topics check 2>&1 >/dev/null) || rc=$?
    if ((rc == 0)); then
        say "kafka: the reused broker has every topic of infra/topics.txt"
        return 0
    fi
    if grep -q 'partitions, expected' <<<"$problems"; then
        say "kafka: WARNING: the reused broker's topics differ from infra/topics.txt; left as they are:"
        printf '%s\n' "$problems" >&2
        return 0
    fi
    if ! grep -q 'missing topic' <<<"$problems"; then
        printf '%s\n' "$problems" >"$KAFKA_LOGS/topics.err"
        fail kafka "cannot check the topics of the reused broker on $(_kafka_bootstrap)" "$KAFKA_LOGS/topics.err"
    fi
    summary=$(_kafka_topics ensure 2>"$KAFKA_LOGS/topics.err") ||
        fail kafka "creating the missing topics on the reused broker failed" "$KAFKA_LOGS/topics.err"
    say "kafka: created the missing topics on the reused broker; $summary"
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
    local pid
    if pid=$(_kafka_pid); then
        if [[ $(_kafka_listeners "$KAFKA_PROPS") != "$(_kafka_props | _kafka_listeners)" ]]; then
            fail kafka "this run dir's broker (pid $pid) listens on other ports than EB_KAFKA_PORT=$KAFKA_PORT / EB_KAFKA_CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT; move it with: infra/down.sh kafka && infra/up.sh kafka"
        fi
        _kafka_fetch_jars
        _kafka_render_props
        say "kafka: already running (pid $pid)"
    elif port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
        _kafka_reuse_foreign
        return 0
    else
        if port_open "$KAFKA_HOST" "$KAFKA_CONTROLLER_PORT"; then
            refuse kafka "controller port $KAFKA_CONTROLLER_PORT is held by $(port_holder "$KAFKA_CONTROLLER_PORT")" \
                "$(_kafka_way_out controller)"
        fi
        _kafka_fetch_jars
        _kafka_render_props
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
    if port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
        say "kafka: down here; $(_kafka_bootstrap) is served by $(port_holder "$KAFKA_PORT"), not started from this run dir: left running"
    else
        say "kafka: down"
    fi
}

# kafka_status: print a one-line description; return 0 when healthy.
kafka_status() {
    local pid summary
    if ! pid=$(_kafka_pid); then
        if ! port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
            echo "down"
            return 1
        fi
        if ! _kafka_api_probe; then
            echo "foreign, not usable: $(port_holder "$KAFKA_PORT") on $(_kafka_bootstrap) does not answer the Kafka protocol"
            return 1
        fi
        if ! _kafka_can_admin; then
            echo "up $(_kafka_bootstrap) (foreign, reused: not started from this run dir; topics not checked: no $VENV_PYTHON, set EB_PYTHON)"
            return 0
        fi
        if ! summary=$(_kafka_topics check 2>&1); then
            echo "foreign, reused, unhealthy: $(_kafka_bootstrap): $(tail -n 1 <<<"$summary")"
            return 1
        fi
        echo "up $(_kafka_bootstrap) (foreign, reused: not started from this run dir; $summary)"
        return 0
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
