"""The shared kernel of the Brain: what every other package may import, and which imports none of them.

* :mod:`kernel.events`: the canonical contract of the bank's events (one envelope, frozen
  versioned models per topic, topics, partition keys, parsing);
* :mod:`kernel.standardise`: standard forms of identifiers, phones, e-mails, names, amounts, times;
* :mod:`kernel.transport`: the event transport ports, the Kafka adapters and the in-process bus;
* :mod:`kernel.storage`: the operational database's schema, migrations, engines and round trips;
* :mod:`kernel.errors`: the root of every package's error tree;
* :mod:`kernel.settings`: the profile and store locations every deployable's settings build on.
"""
