from kundig.messaging.tests.conftest import mailbox, smtp  # noqa: F401
