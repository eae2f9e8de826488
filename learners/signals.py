from django.dispatch import Signal

# Sent by learners.services.learner_verify each time a learner's identity is confirmed (by
# institution staff or by the real-name provider), with ``learner`` and ``method``, inside the
# transaction that records it: a receiver's failure undoes the verification too. The training
# archive listens to it to issue the certificates held back until then (learners is the lower
# layer and imports nothing of the archive).
learner_verified = Signal()
