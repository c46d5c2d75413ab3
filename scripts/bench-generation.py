#!/usr/bin/env python3
"""The generation pipeline through HTTP, as a client sees it (loopback only).

Against `onering serve --no-auth --port PORT --generation-limit 1000` on the sample creators:
40 streamed 3-variant generations (time to the first `token` event, and to `done`), then 20
3-variant jobs (POST /v1/generations until GET shows them succeeded, polling every 2 ms).
Usage: scripts/bench-generation.py [PORT]   (default 8080)
"""
import http.client
import json
import sys
import time

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
ttft=[]; total=[]
for i in range(40):
    c=http.client.HTTPConnection('127.0.0.1', PORT)
    body=json.dumps({"user_id": 4+i%30, "platform":"x","brief":"tempo runs and recovery weeks","variants":3})
    t0=time.perf_counter()
    c.request('POST','/v1/generate/content',body,{'content-type':'application/json'})
    r=c.getresponse()
    first=None
    while True:
        line=r.fp.readline()
        if not line: break
        if first is None and line.startswith(b'event: token'): first=time.perf_counter()-t0
        if line.startswith(b'event: done') or line.startswith(b'event: error'):
            r.fp.readline(); break
    t=time.perf_counter()-t0
    if first: ttft.append(first*1000); total.append(t*1000)
    c.close()
ttft.sort(); total.sort()
print(len(ttft), "streamed, 3 variants: first token p50 %.1f p95 %.1f ms; done p50 %.1f p95 %.1f ms"%(ttft[len(ttft)//2], ttft[int(len(ttft)*0.95)], total[len(total)//2], total[int(len(total)*0.95)]))
lat=[]
for i in range(20):
    c=http.client.HTTPConnection('127.0.0.1', PORT)
    t0=time.perf_counter()
    c.request('POST','/v1/generations',json.dumps({"user_id": 40+i, "platform":"instagram","brief":"tempo runs","variants":3}),{'content-type':'application/json'})
    job=json.loads(c.getresponse().read()); jid=job['id']
    while True:
        c.request('GET','/v1/generations/%d'%jid); j=json.loads(c.getresponse().read())
        if j['status'] in ('succeeded','failed'): break
        time.sleep(0.002)
    lat.append((time.perf_counter()-t0)*1000)
    c.close()
lat.sort(); print("job, 3 variants: POST /v1/generations -> succeeded (polled every 2 ms) p50 %.1f p95 %.1f ms over %d, last status %s"%(lat[len(lat)//2], lat[int(len(lat)*0.95)], len(lat), j['status']))
