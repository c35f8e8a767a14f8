#!lua name=shelterd
-- shelterd function library (see docs/store.md).
redis.register_function("shd_version", function() return "{\"version\": 1}" end)
