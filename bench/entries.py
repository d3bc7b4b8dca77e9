#!/usr/bin/env python3
"""Posts COUNT new referenced entries to URL one after another on one kept-alive connection, as bench/entry.lua
builds them (the API key in the body, text/plain), and fails on any answer but 201. bench/instructions gives two
servers exactly the same work with it. Usage: entries.py URL KEY COUNT PREFIX"""
import http.client
import sys
import urllib.parse

url, key, count, prefix = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
parts = urllib.parse.urlsplit(url)
connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
for n in range(count):
    body = ('{"api_key":"%s","symbol":"BINANCE:BTCUSDT.P","side":"buy","entry":64000.5,"stop_loss":63000,'
            '"external_reference":"o-%s-%d","source":"tradingview","timeframe":"15"}' % (key, prefix, n))
    connection.request("POST", parts.path, body=body, headers={"Content-Type": "text/plain"})
    answer = connection.getresponse()
    answer.read()
    if answer.status != 201:
        sys.exit(f"request {n} answered {answer.status}")
