"""The Brain's local infrastructure: the services ``infra/up.sh`` runs on this machine.

The shell scripts (``up.sh``, ``down.sh``, ``status.sh``) start and stop Kafka, PostgreSQL, Redis
and MariaDB; ``kafka_topics.py`` creates the topics of ``topics.txt``; :mod:`infra.local_services`
gives tests and benches those services' addresses, scratch databases and topics, and Customer 360
worker processes. Nothing here is part of a deployable.
"""
