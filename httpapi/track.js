/*
 * Kizuna tracking script. It sends behaviour events from a web shop's pages
 * to the Kizuna server it is loaded from, with no third-party code.
 *
 *   <script src="https://kizuna.example.jp/t.js" data-key="kz_…" data-channel="ec" async></script>
 *   <script>window.kizuna=window.kizuna||function(){(kizuna.q=kizuna.q||[]).push(arguments)};</script>
 *   kizuna('track', 'product_view', {sku: 'TEA-100', price: 1080});
 *   kizuna('consent', true);     // or false: nothing is sent, the queue is emptied
 *
 * The key must have only the "collect" scope: a page is public. Events are
 * anonymous; the shop's server sends identify with the visitor's anonymous
 * ID (the kizuna_aid cookie) when they sign in.
 *
 * Events wait in localStorage until the server has them: sent with fetch
 * (kept when the answer is not a success, and while offline) and by
 * sendBeacon when the page is left. Each event has its own ID, so one sent
 * twice is stored once.
 */
(function (w, d) {
  'use strict';
  var me = d.currentScript;
  if (!me || w.__kizuna) return;
  w.__kizuna = true;
  var base = new URL(me.src, d.baseURI).origin;
  var key = me.getAttribute('data-key') || '';
  var channel = me.getAttribute('data-channel') || '';
  var needConsent = me.hasAttribute('data-require-consent');
  var autoPage = me.getAttribute('data-page-view') !== 'off';
  var url = base + '/api/v1/events/collect?key=' + encodeURIComponent(key);
  var QUEUE = 'kizuna_queue', AID = 'kizuna_aid', CONSENT = 'kizuna_consent', MAX = 500, BATCH = 100;

  function get(k) { try { return w.localStorage.getItem(k); } catch (e) { return null; } }
  function set(k, v) { try { if (v === null) w.localStorage.removeItem(k); else w.localStorage.setItem(k, v); } catch (e) { /* private mode: events live in memory */ } }
  function uuid() {
    if (w.crypto && w.crypto.randomUUID) return w.crypto.randomUUID();
    var b = new Uint8Array(16); w.crypto.getRandomValues(b);
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  var aid = get(AID) || (d.cookie.match(/(?:^|; )kizuna_aid=([^;]+)/) || [])[1] || uuid();
  set(AID, aid);
  d.cookie = 'kizuna_aid=' + aid + '; path=/; max-age=31536000; SameSite=Lax' + (location.protocol === 'https:' ? '; Secure' : '');
  var session = null;
  try { session = w.sessionStorage.getItem('kizuna_session'); if (!session) { session = uuid(); w.sessionStorage.setItem('kizuna_session', session); } } catch (e) { session = uuid(); }

  var queue = [];
  try { queue = JSON.parse(get(QUEUE) || '[]'); } catch (e) { queue = []; }
  function save() { queue = queue.slice(-MAX); set(QUEUE, JSON.stringify(queue)); }

  function consent() { return get(CONSENT); }
  function allowed() {
    if (navigator.globalPrivacyControl) return false;
    return needConsent ? consent() === 'yes' : consent() !== 'no';
  }

  var sending = false, timer = null, backoff = 1000;
  function schedule(ms) { if (!timer) timer = setTimeout(function () { timer = null; flush(); }, ms); }
  function flush() {
    if (sending || !queue.length || !allowed() || navigator.onLine === false) return;
    var batch = queue.slice(0, BATCH);
    sending = true;
    fetch(url, { method: 'POST', body: batch.map(function (e) { return JSON.stringify(e); }).join('\n'), keepalive: true, mode: 'cors', credentials: 'omit', headers: { 'Content-Type': 'text/plain' } })
      .then(function (r) {
        sending = false;
        if (r.ok || (r.status >= 400 && r.status < 500 && r.status !== 408 && r.status !== 429)) {
          // Stored, or refused for good: a resend would be refused again.
          var sent = {};
          batch.forEach(function (e) { sent[e.id] = true; });
          queue = queue.filter(function (e) { return !sent[e.id]; });
          save(); backoff = 1000;
          if (queue.length) schedule(0);
        } else { schedule(backoff = Math.min(backoff * 2, 60000)); }
      }, function () { sending = false; schedule(backoff = Math.min(backoff * 2, 60000)); });
  }
  function beacon() {
    // The page is going away: the browser sends this even after unload.
    // What it carries stays queued and is sent again from the next page;
    // the server keeps one copy.
    if (!queue.length || !allowed() || !navigator.sendBeacon) return;
    navigator.sendBeacon(url, new Blob([queue.slice(0, BATCH).map(function (e) { return JSON.stringify(e); }).join('\n')], { type: 'text/plain' }));
  }

  function track(type, props) {
    if (!allowed()) return;
    var e = { id: uuid(), type: type, at: new Date().toISOString(), anonymous_id: aid, session_id: session, properties: props || {} };
    if (channel) e.channel = channel;
    queue.push(e); save(); schedule(200);
  }
  function page(props) {
    var p = { url: location.href, title: d.title };
    if (d.referrer) p.referrer = d.referrer;
    for (var k in props || {}) p[k] = props[k];
    track('page_view', p);
  }
  var api = {
    track: track,
    page: page,
    consent: function (yes) { set(CONSENT, yes ? 'yes' : 'no'); if (!yes) { queue = []; save(); } else schedule(0); },
    anonymousId: function () { return aid; },
    flush: flush
  };
  function call(args) { var f = api[args[0]]; if (f) return f.apply(null, Array.prototype.slice.call(args, 1)); }

  var pending = (w.kizuna && w.kizuna.q) || [];
  w.kizuna = function () { return call(arguments); };
  w.addEventListener('online', function () { schedule(0); });
  w.addEventListener('pagehide', beacon);
  d.addEventListener('visibilitychange', function () { if (d.visibilityState === 'hidden') beacon(); });
  if (autoPage) page();
  pending.forEach(call);
  schedule(0);
})(window, document);
