-- wrk script: every request a new referenced entry posted as TradingView posts it (text/plain JSON, the API key
-- in the body as api_key), each with an order id of its own. QUANTARYA_BENCH_KEY holds the key.
local key = os.getenv("QUANTARYA_BENCH_KEY") or ""
local threads = 0
local n = 0

function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

function init(args)
  prefix = tostring(tid) .. "-" .. tostring(os.time())
end

function request()
  n = n + 1
  local body = string.format(
    '{"api_key":"%s","symbol":"BINANCE:BTCUSDT.P","side":"buy","entry":64000.5,"stop_loss":63000,' ..
    '"external_reference":"o-%s-%d","source":"tradingview","timeframe":"15"}', key, prefix, n)
  return wrk.format("POST", nil, { ["Content-Type"] = "text/plain" }, body)
end
