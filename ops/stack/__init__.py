"""The local stack: Kafka (KRaft), the S3 server, Prometheus, chDB, all under one data dir.

``inkstream up | down | status`` (``app.commands.stack``); topic creation in
``ops.stack.topics``; processors register scrape targets with
``ops.stack.prometheus.register_target``.
"""
