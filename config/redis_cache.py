"""Django's Redis cache, keeping its client objects.

Django's ``RedisCacheClient`` builds a new ``redis.Redis`` around its connection pool on every
cache call; building one (its many options) cost the events endpoint as much CPU as the Redis
round trip itself (docs/benchmarks.md). A client is thread-safe and only wraps the pool, so each
backend instance (Django keeps one per thread) keeps one client per pool.

Its connections have short time limits (``SOCKET_TIMEOUT_SECONDS``, unless the cache's OPTIONS
set ``socket_timeout``/``socket_connect_timeout``): redis-py waits forever by default, so a
Redis that hangs (a stalled host, a network partition) would hold every request that touches
the cache, and every worker with it. With the limits a cache call fails within about a second
and its caller decides (the registration guard fails closed, tests/test_faults_redis.py).
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))  # the pools live as long as this object
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


SOCKET_TIMEOUT_SECONDS = 1.0


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
        self._options = {
            "socket_connect_timeout": SOCKET_TIMEOUT_SECONDS,
            "socket_timeout": SOCKET_TIMEOUT_SECONDS,
            **self._options,
        }
