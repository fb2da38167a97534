"""Celery settings for Flower (mounted into the mher/flower image, which has no Parley code).

Parley's workers prefix every broker key and event channel with ``<PARLEY_NAMESPACE>:celery:``
(see shared/celery.py); without the same prefix Flower would watch an empty broker.
"""
import os

broker_url = os.environ["REDIS_URL"]
broker_transport_options = {"global_keyprefix": f"{os.environ.get('PARLEY_NAMESPACE', 'parley')}:celery:"}
