"""The test suite's Redis cache (lanshan_aid.settings.test): `clear()` deletes this process's
keys only, so that parallel test processes sharing one Redis database do not empty each other's
cache (Django's RedisCache.clear() is FLUSHDB)."""

from django.core.cache.backends.redis import RedisCache


class PrefixClearingRedisCache(RedisCache):
    def clear(self):
        client = self._cache.get_client(None, write=True)
        pattern = self.make_key("*")
        keys = list(client.scan_iter(match=pattern, count=1000))
        if keys:
            client.delete(*keys)
        return True
