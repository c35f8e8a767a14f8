'use strict';
/*
 * The web view: a page is a view of protocol calls (POST /rpc) and live
 * events (GET /events). Text goes into the page with textContent only;
 * nothing here decides what the daemon does not enforce.
 */
(function () {
  const STRINGS = window.SHELTERD_STRINGS;
  const CARE = ['psychiatric', 'addiction', 'intellectual_disability',
    'medical', 'trauma', 'wheelchair', 'pregnancy'];
  const ENUMS = {
    gender: ['f', 'm', 'x'],
    program: ['any', 'cosm', 'omm'],
    sector: ['', 'sexual', 'labour', 'criminal', 'other', 'unknown'],
    co_victims: ['', 'any', 'apart', 'together'],
    min_security: ['', 'standard', 'protected', 'secret'],
    urgency: ['days', 'immediate', 'planned'],
    referrer: ['', 'police', 'kmar', 'nla', 'fairwork', 'care', 'lawyer',
      'coa', 'self', 'other'],
    residence: ['', 'reflection', 'b8_permit', 'asylum', 'eu', 'nl',
      'unknown']
  };
  /* Freshness thresholds of the protocol's defaults, used only when the
   * daemon does not report freshness itself. */
  const AGEING_S = 12 * 3600;
  const STALE_S = 24 * 3600;

  let lang = localStorage.getItem('shelterd.lang') || 'nl';
  if (!STRINGS[lang]) lang = 'nl';
  let session = null;
  let stream = null;
  let view = null;
  const missing = {}; /* methods that answered -32601 */
  let shelterNames = {};

  /* -- helpers ---------------------------------------------------------- */

  function t(key) {
    let s = STRINGS[lang][key];
    if (s === undefined) s = STRINGS.en[key];
    if (s === undefined) s = key;
    for (let i = 1; i < arguments.length; i++)
      s = s.split('{' + (i - 1) + '}').join(String(arguments[i]));
    return s;
  }

  /* el('tag', {attr: value}, child...): children are nodes or text. */
  function el(tag, attrs) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) {
      const v = attrs[k];
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (let i = 2; i < arguments.length; i++) {
      const c = arguments[i];
      if (c === undefined || c === null || c === false) continue;
      if (Array.isArray(c)) c.forEach(function (x) { if (x) e.append(x); });
      else e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  /* Re-render root with fn, keeping what the user typed and the focus:
   * live events must not wipe a half-filled field. */
  function rerender(root, fn) {
    const typed = {}, wrong = {};
    root.querySelectorAll('input[data-dirty]').forEach(function (i) { typed[i.id] = i.value; });
    // A field's error stays shown until it is fixed, whatever comes live.
    root.querySelectorAll('[aria-invalid]').forEach(function (i) {
      const box = document.getElementById(i.id + '-err');
      wrong[i.id] = box ? box.textContent : '';
    });
    const focus = document.activeElement && root.contains(document.activeElement)
      ? document.activeElement.id : null;
    fn();
    Object.keys(typed).forEach(function (id) {
      const i = document.getElementById(id);
      if (i && root.contains(i)) { i.value = typed[id]; i.setAttribute('data-dirty', ''); }
    });
    Object.keys(wrong).forEach(function (id) {
      const i = document.getElementById(id), box = document.getElementById(id + '-err');
      if (!i || !root.contains(i)) return;
      i.setAttribute('aria-invalid', 'true');
      if (box) box.textContent = wrong[id];
    });
    const f = focus && document.getElementById(focus);
    if (f && root.contains(f)) f.focus();
  }

  ['input', 'change'].forEach(function (type) {
    document.addEventListener(type, function (e) {
      const i = e.target;
      if (i instanceof HTMLInputElement) i.setAttribute('data-dirty', '');
      // A field being corrected no longer shows its error; the next
      // submit checks it again.
      if (i instanceof Element && i.hasAttribute('aria-invalid')) {
        i.removeAttribute('aria-invalid');
        const box = document.getElementById(i.id + '-err');
        if (box) box.textContent = '';
      }
      keepAlive();
    });
  });

  /* Typing is work: it keeps the session alive (a GET /session counts as
   * a request), at most once every 20 s, so a long form does not expire
   * under the hands that fill it. */
  let aliveAt = 0;
  function keepAlive() {
    const now = Date.now();
    if (!session || now - aliveAt < 20000) return;
    aliveAt = now;
    fetch('/session', {credentials: 'same-origin'}).catch(function () {});
  }

  function notice(text, bad) {
    const n = document.getElementById('notice');
    n.textContent = text;
    n.className = 'notice' + (bad ? ' bad' : text ? ' good' : '');
  }

  class RpcError extends Error {
    constructor(err) {
      super(err.message);
      this.code = err.code;
      this.data = err.data || {};
    }
  }

  let rpcId = 0;
  async function rpc(method, params) {
    const body = {jsonrpc: '2.0', id: ++rpcId, method: method};
    if (params !== undefined) body.params = params;
    const r = await fetch('/rpc', {
      method: 'POST',
      headers: {'Content-Type': 'application/json',
        'X-CSRF-Token': session ? session.csrf : ''},
      body: JSON.stringify(body),
      credentials: 'same-origin'
    });
    if (r.status === 403 || r.status === 401) {
      expired();
      throw new RpcError({code: -32001, message: t('expired')});
    }
    const msg = await r.json();
    if (msg.error) {
      if (msg.error.code === -32001) expired();
      if (msg.error.code === -32601) missing[method] = true;
      throw new RpcError(msg.error);
    }
    return msg.result;
  }

  function expired() {
    if (!session) return;
    session = null;
    closeStream();
    // Kept for the login that follows (logout drops it: another person).
    const main = document.getElementById('main');
    if (shown === '#/new' && main.querySelector('#new-form')) keepDraft(main);
    shown = null;
    showLogin(t('expired'));
  }

  function fmtTime(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    return d.toLocaleString(lang === 'nl' ? 'nl-NL' : 'en-GB',
      {dateStyle: 'short', timeStyle: 'short'});
  }

  function ageWords(s) {
    if (s < 3600) return t('age_min', Math.max(0, Math.floor(s / 60)));
    if (s < 86400 * 2) return t('age_h', Math.floor(s / 3600));
    return t('age_d', Math.floor(s / 86400));
  }

  /* When each shelter object arrived: the daemon's report_age_s was true
   * then, and grows with the time since. */
  const receivedAt = new WeakMap();
  function received(sh) { receivedAt.set(sh, Date.now()); return sh; }

  /* The daemon's freshness and report_age_s when it sends them; else
   * worked out from updated_at with the protocol's default thresholds. */
  function freshness(sh) {
    let age = sh.report_age_s;
    if (typeof age === 'number')
      age += Math.max(0, (Date.now() - (receivedAt.get(sh) || Date.now())) / 1000);
    else
      age = Math.max(0, (Date.now() - Date.parse(sh.updated_at)) / 1000);
    let f = sh.freshness;
    if (!f) f = age >= STALE_S ? 'stale' : age >= AGEING_S ? 'ageing' : 'fresh';
    return {state: f, age: age};
  }

  function household(h) {
    const parts = [t('person', t('g_' + h.gender), h.age)];
    if (h.children && h.children.length) parts.push(t('children', h.children.length));
    if (h.needs && h.needs.length) parts.push(t('needs', h.needs.join(', ')));
    if (h.languages && h.languages.length) parts.push(t('langs', h.languages.join(', ')));
    return parts.join(' · ');
  }

  function countdown(iso) {
    const s = Math.floor((Date.parse(iso) - Date.now()) / 1000);
    if (s <= 0) return t('expired_hold');
    const m = Math.floor(s / 60), r = s % 60;
    return t('expires_in', m + ':' + (r < 10 ? '0' : '') + r);
  }

  function debounce(fn, ms) {
    let h = null;
    return function () {
      if (h) clearTimeout(h);
      h = setTimeout(function () { h = null; fn(); }, ms);
    };
  }

  /* -- live events -------------------------------------------------------- */

  function closeStream() {
    if (stream) stream.close();
    stream = null;
    const live = document.getElementById('live');
    live.textContent = '';
    live.className = 'live'; /* no bare dot on a page without a stream */
  }

  function openStream(topics, onEvent, since) {
    closeStream();
    let url = '/events?topics=' + encodeURIComponent(topics.join(','));
    if (since) url += '&since=' + encodeURIComponent(since);
    const es = new EventSource(url);
    const live = document.getElementById('live');
    es.onopen = function () { live.textContent = t('live_on'); live.className = 'live on'; };
    es.onerror = function () {
      live.textContent = t('live_off');
      live.className = 'live off';
      if (es.readyState === EventSource.CLOSED && session)
        fetch('/session', {credentials: 'same-origin'}).then(function (r) {
          return r.json();
        }).then(function (j) { if (!j.csrf) expired(); });
    };
    es.onmessage = function (e) {
      let ev;
      try { ev = JSON.parse(e.data); } catch (x) { return; }
      onEvent(ev);
    };
    stream = es;
  }

  /* -- login ---------------------------------------------------------------- */

  function showLogin(message) {
    setChrome();
    const main = document.getElementById('main');
    clear(main);
    const err = el('p', {id: 'login-error', class: 'field-error', role: 'alert',
      text: message || ''});
    const input = el('input', {id: 'token', type: 'password', name: 'token',
      autocomplete: 'current-password', required: true,
      'aria-describedby': 'login-error'});
    const form = el('form', {id: 'login-form', class: 'card narrow'},
      el('h1', {text: t('login_title')}),
      el('div', {class: 'field'}, el('label', {for: 'token', text: t('token')}), input),
      err,
      el('button', {type: 'submit', id: 'login-button', text: t('login')}));
    form.addEventListener('submit', async function (e) {
      e.preventDefault();
      const r = await fetch('/login', {method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({token: input.value})});
      if (r.status !== 200) {
        err.textContent = r.status === 429 ? t('rate_limited') : t('bad_token');
        input.setAttribute('aria-invalid', 'true');
        input.focus();
        return;
      }
      session = await r.json();
      input.value = '';
      if (!location.hash || location.hash === '#') location.hash = defaultRoute();
      else route();
    });
    main.append(form);
    input.focus();
  }

  function defaultRoute() {
    return session.role === 'shelter' ? '#/shelter' : '#/board';
  }

  function setChrome() {
    document.documentElement.lang = lang;
    document.getElementById('skip').textContent = t('skip');
    document.getElementById('lang-label').textContent = t('language');
    document.getElementById('lang').value = lang;
    const nav = document.getElementById('nav');
    clear(nav);
    const logout = document.getElementById('logout');
    logout.textContent = t('logout');
    logout.hidden = !session;
    document.getElementById('who').textContent = session
      ? session.name + ' (' + session.role + ')' : '';
    if (!session) return;
    const links = [];
    if (session.role !== 'shelter') links.push(['#/board', 'nav_board']);
    if (session.role === 'admin' || session.role === 'coordinator') {
      links.push(['#/work', 'nav_work']);
      links.push(['#/new', 'nav_new']);
    }
    if (session.role !== 'shelter') links.push(['#/reports', 'nav_reports']);
    if (session.role === 'shelter') links.push(['#/shelter', 'nav_shelter']);
    const ul = el('ul');
    links.forEach(function (l) {
      const cur = location.hash.startsWith(l[0]);
      ul.append(el('li', null, el('a', {href: l[0], 'aria-current': cur ? 'page' : null,
        id: 'nav-' + l[0].slice(2), text: t(l[1])})));
    });
    nav.append(ul);
  }

  /* -- board ------------------------------------------------------------------ */

  function viewBoard(main) {
    const shelters = {};
    const reasons = {}; /* from shelter.intake events, for daemons whose
                           shelter output has no intake.reason */
    const body = el('div', {id: 'board'});
    main.append(el('h1', {text: t('board_title')}), body);

    function render() {
      clear(body);
      const byProgram = {};
      Object.keys(shelters).sort().forEach(function (id) {
        const s = shelters[id];
        (byProgram[s.program] = byProgram[s.program] || []).push(s);
      });
      if (!Object.keys(byProgram).length) body.append(el('p', {text: t('no_shelters')}));
      Object.keys(byProgram).sort().forEach(function (p) {
        let free = 0, total = 0;
        byProgram[p].forEach(function (s) {
          s.pools.forEach(function (pl) { free += pl.free; total += pl.total; });
        });
        const tbody = el('tbody');
        byProgram[p].forEach(function (s) { tbody.append(boardRow(s)); });
        body.append(el('section', {class: 'program', 'data-program': p,
          'aria-labelledby': 'prog-' + p},
          el('h2', {id: 'prog-' + p}, p.toUpperCase() + ' ',
            el('span', {class: 'total', 'data-total': p, text: t('program_total', free, total)})),
          el('table', {class: 'board'},
            el('thead', null, el('tr', null,
              el('th', {scope: 'col', text: t('col_shelter')}),
              el('th', {scope: 'col', text: t('col_place')}),
              el('th', {scope: 'col', text: t('col_pools')}),
              el('th', {scope: 'col', text: t('col_intake')}),
              el('th', {scope: 'col', text: t('col_report')}))),
            tbody)));
      });
    }

    function boardRow(s) {
      const f = freshness(s);
      const pools = el('ul', {class: 'pools'});
      s.pools.forEach(function (pl) {
        pools.append(el('li', {'data-pool': pl.name,
          'aria-label': pl.name + ': ' + t('free_of', pl.free, pl.total)},
          el('span', {class: 'pool-name', text: pl.name}), ' ',
          el('strong', {class: 'pool-free', text: pl.free + '/' + pl.total})));
      });
      const intake = s.intake || {};
      const reason = intake.reason || (!intake.open && reasons[s.id]);
      const intakeText = intake.open ? t('intake_open')
        : reason ? t('intake_closed_reason', reason) : t('intake_closed');
      return el('tr', {'data-shelter': s.id},
        el('th', {scope: 'row', class: 'shelter-name', 'data-label': t('col_shelter'), text: s.name}),
        el('td', {'data-label': t('col_place'), text: (s.location && s.location.municipality) || ''}),
        el('td', {'data-label': t('col_pools')}, pools),
        el('td', {'data-label': t('col_intake')},
          el('span', {class: 'badge ' + (intake.open ? 'open' : 'closed'),
            'data-intake': intake.open ? 'open' : 'closed', text: intakeText})),
        el('td', {'data-label': t('col_report')},
          el('span', {class: 'badge ' + f.state, 'data-freshness': f.state,
            text: t(f.state) + ' · ' + ageWords(f.age)})));
    }

    async function load() {
      const r = await rpc('shelter.list', {});
      r.shelters.forEach(function (s) { shelters[s.id] = received(s); shelterNames[s.id] = s.name; });
      render();
    }

    async function refresh(id) {
      try {
        const r = await rpc('shelter.get', {id: id});
        shelters[id] = received(r.shelter);
      } catch (e) {
        if (e.code === -32004) delete shelters[id];
      }
      render();
    }

    openStream(['capacity'], function (ev) {
      const d = ev.data || {};
      if (ev.type === 'shelter.intake') reasons[d.shelter_id] = d.open ? null : d.reason;
      if (d.shelter_id) refresh(d.shelter_id);
    });
    const tick = setInterval(render, 30000);
    load().catch(function (e) { notice(t('error', e.message), true); });
    return function () { clearInterval(tick); };
  }

  /* -- worklist ----------------------------------------------------------- */

  async function loadShelterNames() {
    if (Object.keys(shelterNames).length) return;
    try {
      const r = await rpc('shelter.list', {});
      r.shelters.forEach(function (s) { shelterNames[s.id] = s.name; });
    } catch (e) { /* names are a nicety */ }
  }

  function shelterLabel(id) {
    return shelterNames[id] ? shelterNames[id] + ' (' + id + ')' : id;
  }

  /* The input fields of a stored request, for match.preview. */
  function requestInput(r) {
    const keys = ['ref', 'program', 'person', 'children', 'needs', 'prefers',
      'exploitation', 'safety', 'preferred_location', 'urgency', 'referrer',
      'residence'];
    const out = {};
    keys.forEach(function (k) { if (r[k] !== undefined && r[k] !== null) out[k] = r[k]; });
    return out;
  }

  function fmtDay(date) {
    const d = new Date(date + 'T00:00:00Z');
    if (isNaN(d)) return date;
    return d.toLocaleDateString(lang === 'nl' ? 'nl-NL' : 'en-GB',
      {day: 'numeric', month: 'short', timeZone: 'UTC'});
  }

  /* Why a request waits: the daemon's sentence (English, as it comes),
   * then in the page's language the forecast, a dead end and its
   * referral when the explanation has them. */
  function explanationNodes(ex) {
    if (!ex) return [];
    const out = [el('p', {class: 'why', text: ex.message || ''})];
    if (ex.forecast && ex.forecast.shelter_id)
      out.push(el('p', {class: 'forecast', 'data-forecast': ex.forecast.shelter_id,
        text: t('forecast', shelterLabel(ex.forecast.shelter_id) +
          (ex.forecast.pool ? ' (' + t('pool', ex.forecast.pool) + ')' : ''),
          fmtDay(ex.forecast.date))}));
    if (ex.dead_end) out.push(el('p', {class: 'dead-end', 'data-dead-end': 'true', text: t('dead_end')}));
    if (ex.referral) out.push(el('p', {class: 'referral', text: t('referral', ex.referral)}));
    return out;
  }

  function escalatedBadge(r) {
    return r.escalated ? el('span', {class: 'badge escalated', 'data-escalated': 'true',
      text: t('escalated')}) : null;
  }

  /* Escalated requests first, otherwise the daemon's order. */
  function escalatedFirst(list) {
    return list.map(function (r, i) { return [r, i]; }).sort(function (a, b) {
      return (b[0].escalated ? 1 : 0) - (a[0].escalated ? 1 : 0) || a[1] - b[1];
    }).map(function (x) { return x[0]; });
  }

  function refLink(r) {
    return el('a', {href: '#/request/' + encodeURIComponent(r.id), class: 'ref', text: r.ref});
  }

  function personLine(r) {
    return household({gender: r.person.gender, age: r.person.age,
      children: r.children, needs: r.needs, languages: r.person.languages});
  }

  /* Every second, the countdowns under root show the time left; the
   * interval's id, to clear. */
  function tickCountdowns(root) {
    return setInterval(function () {
      root.querySelectorAll('.countdown').forEach(function (c) {
        c.textContent = countdown(c.getAttribute('data-expires'));
      });
    }, 1000);
  }

  /* An open proposal with its accept and reject; done() after either. */
  function proposalCard(r, done) {
    const p = r.proposal;
    const cd = el('span', {class: 'countdown', 'data-expires': p.expires_at,
      text: countdown(p.expires_at)});
    const reasonId = 'reason-' + p.id;
    const reason = el('input', {id: reasonId, type: 'text', maxlength: 500,
      'aria-describedby': reasonId + '-err'});
    const err = el('span', {id: reasonId + '-err', class: 'field-error', role: 'alert'});
    const scores = el('ul', {class: 'scores', 'aria-label': t('score', p.score)});
    Object.keys(p.scores || {}).sort().forEach(function (k) {
      const name = t('sc_' + k) === 'sc_' + k ? k : t('sc_' + k);
      scores.append(el('li', null, el('span', {text: name}), ' ',
        el('meter', {min: 0, max: 100, value: p.scores[k], 'aria-label': name}),
        ' ' + p.scores[k]));
    });
    // Only the distances the request gives a place for: no line of dashes.
    const km = p.distance_km || {};
    const parts = [];
    if (km.exploitation != null) parts.push(t('dist_expl', km.exploitation));
    if (km.preferred != null) parts.push(t('dist_pref', km.preferred));
    const dist = parts.length
      ? el('p', {class: 'distance', text: t('distance', parts.join(', '))})
      : null;
    const accept = el('button', {type: 'button', class: 'primary accept',
      'data-proposal': p.id, text: t('accept')});
    const reject = el('button', {type: 'button', class: 'danger reject',
      'data-proposal': p.id, text: t('reject')});
    accept.addEventListener('click', async function () {
      accept.disabled = true;
      try {
        await rpc('proposal.accept', {id: p.id});
        notice(t('accepted', r.ref));
        done();
      } catch (e) { notice(t('error', e.message), true); accept.disabled = false; }
    });
    reject.addEventListener('click', async function () {
      if (!reason.value.trim()) {
        err.textContent = t('reason_required');
        reason.setAttribute('aria-invalid', 'true');
        reason.focus();
        return;
      }
      reject.disabled = true;
      try {
        await rpc('proposal.reject', {id: p.id, reason: reason.value.trim()});
        notice(t('rejected', r.ref));
        done();
      } catch (e) { err.textContent = e.message; reject.disabled = false; }
    });
    // Enter in the reason rejects, as the button does.
    reason.addEventListener('keydown', function (e) {
      if (e.key === 'Enter') { e.preventDefault(); reject.click(); }
    });
    return el('li', {class: 'card' + (r.escalated ? ' escalated' : ''), 'data-request': r.id},
      el('h3', null, refLink(r), ' → ', el('span', {class: 'shelter', text: shelterLabel(p.shelter_id)}),
        r.escalated ? ' ' : null, escalatedBadge(r)),
      el('p', {text: personLine(r)}),
      el('p', null, t('pool', p.pool) + ' · ' + t('score', p.score) + ' · ', cd),
      p.stale ? el('p', {class: 'badge stale', text: t('stale')}) : null,
      dist, scores,
      el('div', {class: 'actions'}, accept,
        el('div', {class: 'field inline'},
          el('label', {for: reasonId, text: t('reject_reason')}), reason, err),
        reject));
  }

  function viewWork(main) {
    const status = el('select', {id: 'filter-status'},
      el('option', {value: '', text: t('all_open')}),
      ['waiting', 'proposed', 'placed', 'arrived', 'cancelled'].map(function (s) {
        return el('option', {value: s, text: t('st_' + s)});
      }));
    const kase = el('input', {id: 'filter-case', type: 'search'});
    const body = el('div', {id: 'worklist'});
    const timers = [];
    main.append(el('h1', {text: t('work_title')}),
      el('div', {class: 'filters'},
        el('div', {class: 'field'}, el('label', {for: 'filter-status', text: t('filter_status')}), status),
        el('div', {class: 'field'}, el('label', {for: 'filter-case', text: t('filter_case')}), kase)),
      body);

    function section(id, title, items) {
      return el('section', {id: id, 'aria-labelledby': id + '-h'},
        el('h2', {id: id + '-h', text: title + ' (' + items.length + ')'}),
        items.length ? el('ul', {class: 'cards'}, items) : el('p', {text: t('none')}));
    }

    /* Why a request waits: match.preview now, kept for 30 s and asked
     * for the first PREVIEW_MAX waiting requests only, so that a busy
     * list stays well inside the rate limit. */
    const whyCache = {};
    let previews = 0;
    const PREVIEW_MAX = 25;
    function waitingCard(r) {
      const why = el('div', {class: 'why-box', role: 'group', 'aria-label': t('why_waits')});
      const c = whyCache[r.id];
      if (c && Date.now() - c.at < 30000) why.append.apply(why, explanationNodes(c.ex));
      else if (previews++ < PREVIEW_MAX)
        rpc('match.preview', {request: requestInput(r)}).then(function (res) {
          whyCache[r.id] = {ex: res.explanation, at: Date.now()};
          clear(why);
          why.append.apply(why, explanationNodes(res.explanation));
        }).catch(function () {});
      return el('li', {class: 'card' + (r.escalated ? ' escalated' : ''), 'data-request': r.id},
        el('h3', null, refLink(r), ' ', el('span', {class: 'badge ' + r.urgency, text: r.urgency}),
          r.escalated ? ' ' : null, escalatedBadge(r)),
        el('p', {text: personLine(r)}),
        el('p', {text: t('waiting_since', fmtTime(r.created_at))}), why);
    }

    function placedCard(r) {
      const pl = r.placement || {};
      return el('li', {class: 'card', 'data-request': r.id},
        el('h3', null, refLink(r), ' → ', el('span', {text: shelterLabel(pl.shelter_id)})),
        el('p', {text: personLine(r) + ' · ' + t('pool', pl.pool)}),
        el('p', {text: fmtTime(r.updated_at)}));
    }

    function otherCard(r) {
      return el('li', {class: 'card', 'data-request': r.id},
        el('h3', null, refLink(r), ' ', el('span', {class: 'badge', text: t('st_' + r.status)})),
        el('p', {text: personLine(r)}));
    }

    async function reload() {
      const st = status.value ? [status.value] : ['waiting', 'proposed', 'placed'];
      let list;
      try {
        list = (await rpc('request.list', {status: st, limit: 500})).requests;
      } catch (e) { notice(t('error', e.message), true); return; }
      await loadShelterNames();
      const c = kase.value.trim();
      if (c) list = list.filter(function (r) { return r.safety && r.safety.case === c; });
      previews = 0;
      rerender(body, function () { drawList(list); });
    }

    function drawList(list) {
      clear(body);
      if (status.value && ['arrived', 'cancelled'].includes(status.value)) {
        body.append(section('list-other', t('st_' + status.value), escalatedFirst(list).map(otherCard)));
        return;
      }
      const by = function (s) {
        return escalatedFirst(list.filter(function (r) { return r.status === s; }));
      };
      if (!status.value || status.value === 'proposed')
        body.append(section('list-proposals', t('proposals'),
          by('proposed').filter(function (r) { return r.proposal; }).map(function (r) {
            return proposalCard(r, reload);
          })));
      if (!status.value || status.value === 'waiting')
        body.append(section('list-waiting', t('waiting'), by('waiting').map(waitingCard)));
      if (!status.value || status.value === 'placed')
        body.append(section('list-placed', t('placed'), by('placed').map(placedCard)));
    }

    const later = debounce(reload, 150);
    status.addEventListener('change', reload);
    kase.addEventListener('input', later);
    openStream(['proposals', 'requests', 'placements'], later);
    timers.push(tickCountdowns(body));
    reload();
    return function () { timers.forEach(clearInterval); };
  }

  /* -- a request's detail ---------------------------------------------------- */

  function viewRequest(main, id) {
    const body = el('div', {id: 'request-detail'});
    main.append(el('p', null, el('a', {href: '#/work', text: t('back')})), body);

    /* A field's name in words where the page has them (f_KEY). */
    function keyText(k) {
      return t('f_' + k) === 'f_' + k ? k : t('f_' + k);
    }

    /* The request's history as a table: when, what, proposal, shelter. */
    function historyTable(h) {
      const tbody = el('tbody');
      h.forEach(function (e) {
        const what = t('st_' + e.what) === 'st_' + e.what ? e.what : t('st_' + e.what);
        tbody.append(el('tr', null, el('td', {text: fmtTime(e.at)}), el('td', {text: what}),
          el('td', {text: e.proposal_id || '–'}),
          el('td', {text: e.shelter_id ? shelterLabel(e.shelter_id) : '–'})));
      });
      return el('div', {class: 'table-wrap'}, el('table', {class: 'history'},
        el('thead', null, el('tr', null, el('th', {scope: 'col', text: t('h_at')}),
          el('th', {scope: 'col', text: t('h_what')}), el('th', {scope: 'col', text: t('h_proposal')}),
          el('th', {scope: 'col', text: t('col_shelter')}))), tbody));
    }

    function dl(obj, prefix) {
      const d = el('dl', {class: 'detail'});
      Object.keys(obj).forEach(function (k) {
        const v = obj[k];
        if (v === null || v === undefined) return;
        if (k === 'history' && Array.isArray(v)) {
          d.append(el('dt', {text: t('h_title')}), el('dd', null, historyTable(v)));
        } else if (typeof v === 'object' && !Array.isArray(v)) {
          d.append(el('dt', {text: prefix + keyText(k)}), el('dd', null, dl(v, '')));
        } else {
          d.append(el('dt', {text: prefix + keyText(k)}),
            el('dd', {text: Array.isArray(v) ? v.map(function (x) {
              return typeof x === 'object' ? JSON.stringify(x)
                : k === 'needs' || k === 'prefers' ? t('care_' + x) : x;
            }).join(', ') : typeof v === 'boolean' ? t(v ? 'yes' : 'no') : valueText(k, String(v))}));
        }
      });
      return d;
    }

    async function load() {
      let r, ex;
      try {
        const got = await rpc('request.get', {id: id});
        r = got.request;
        ex = got.explanation;
      }
      catch (e) { clear(body); body.append(el('p', {text: t('error', e.message)})); return; }
      if (ex) await loadShelterNames();
      // Drawn again on every event of the request: what is being typed
      // (the cancel reason, a reject reason) and its focus stay.
      rerender(body, function () { draw(r, ex); });
    }

    function draw(r, ex) {
      clear(body);
      const reasonIn = el('input', {id: 'cancel-reason', type: 'text', maxlength: 500,
        'aria-describedby': 'cancel-reason-err'});
      const reasonErr = el('span', {id: 'cancel-reason-err', class: 'field-error', 'aria-live': 'polite'});
      const cancel = el('button', {type: 'button', class: 'danger', id: 'cancel-request',
        text: t('cancel_request')});
      cancel.addEventListener('click', async function () {
        // The error at the field: the notice may be scrolled away.
        if (!reasonIn.value.trim()) {
          reasonIn.setAttribute('aria-invalid', 'true');
          reasonErr.textContent = t('reason_required');
          reasonIn.focus();
          notice(t('reason_required'), true);
          return;
        }
        try {
          await rpc('request.cancel', {id: r.id, reason: reasonIn.value.trim()});
          notice(t('cancelled'));
          load();
        } catch (e) { notice(t('error', e.message), true); }
      });
      body.append(el('h1', {text: t('detail_title', r.ref)}),
        el('p', null, el('span', {class: 'badge', 'data-status': r.status, text: t('st_' + r.status)}),
          r.escalated ? ' ' : null, escalatedBadge(r)),
        ex ? el('section', {id: 'detail-why', class: 'card', 'aria-labelledby': 'detail-why-h'},
          el('h2', {id: 'detail-why-h', text: t('why_title')}), explanationNodes(ex)) : '',
        // Its open proposal, to accept or reject here as on the worklist.
        r.proposal ? el('section', {id: 'detail-proposal', 'aria-labelledby': 'detail-proposal-h'},
          el('h2', {id: 'detail-proposal-h', text: t('open_proposal')}),
          el('ul', {class: 'cards'}, proposalCard(r, load))) : '',
        dl(r, ''));
      if (['waiting', 'proposed', 'placed'].includes(r.status))
        body.append(el('div', {class: 'actions'},
          el('div', {class: 'field inline'},
            el('label', {for: 'cancel-reason', text: t('cancel_reason')}), reasonIn, reasonErr),
          cancel));
    }

    openStream(['proposals', 'requests'], function (ev) {
      if (ev.data && (ev.data.request_id === id)) load();
    });
    const tick = tickCountdowns(body);
    load();
    return function () { clearInterval(tick); };
  }

  /* -- new request and raid batch ------------------------------------------ */

  /* The words for a value of a field (v_FIELD_VALUE), else the value. */
  function valueText(name, v) {
    const k = 'v_' + name.split('.').pop() + '_' + v;
    return t(k) === k ? v : t(k);
  }

  function selectOf(id, name, values, labelKey) {
    return el('select', {id: id, 'data-field': name},
      values.map(function (v) {
        return el('option', {value: v, text: v === '' ? '–' : labelKey ? t(labelKey + v) : valueText(name, v)});
      }));
  }

  function fieldBox(id, labelKey, input) {
    input.setAttribute('aria-describedby', id + '-err');
    return el('div', {class: 'field'},
      el('label', {for: id, text: t(labelKey)}), input,
      el('span', {id: id + '-err', class: 'field-error'}));
  }

  function splitList(s) {
    return s.split(',').map(function (x) { return x.trim(); }).filter(Boolean);
  }

  function parseChildren(s) {
    return splitList(s).map(function (c) {
      const m = /^(\d+)\s*([fmx])?$/.exec(c);
      return m ? {age: Number(m[1]), gender: m[2] || 'x'} : {age: c};
    });
  }

  function clearErrors(root) {
    root.querySelectorAll('.field-error').forEach(function (e) { e.textContent = ''; });
    root.querySelectorAll('[aria-invalid]').forEach(function (e) { e.removeAttribute('aria-invalid'); });
  }

  /* Show a -32602 at its field(s): data.errors, or data.field. */
  function showFieldErrors(root, err, prefix, byRow) {
    const list = err.data.errors || [{field: err.data.field, message: err.message}];
    let any = false;
    list.forEach(function (e) {
      if (!e.field) return;
      let f = e.field, scope = root;
      const m = /^requests\.(\d+)\.(.*)$/.exec(f);
      if (m && byRow) { scope = byRow(Number(m[1])); f = m[2]; }
      if (prefix && f.startsWith(prefix)) f = f.slice(prefix.length);
      if (!scope) return;
      const find = function (within) {
        let found = null;
        const parts = f.split('.');
        while (parts.length && !found) {
          found = within.querySelector('[data-field="' + CSS.escape(parts.join('.')) + '"]');
          parts.pop();
        }
        return found;
      };
      // A row's error in a field all rows share (a raid's case, its
      // municipality) is shown at that shared field.
      const input = find(scope) || (scope !== root ? find(root) : null);
      if (!input) return;
      input.setAttribute('aria-invalid', 'true');
      const box = document.getElementById(input.id + '-err');
      // Shown at its field, the message need not name it by its wire
      // path (requests.2.exploitation...: at a field all rows share).
      let msg = e.message || err.message;
      if (msg.startsWith(e.field + ': ')) msg = msg.slice(e.field.length + 2);
      if (box) box.textContent = msg;
      if (!any) input.focus();
      any = true;
    });
    return any;
  }

  function resultText(res) {
    if (res.proposal) return t('proposal_at', shelterLabel(res.proposal.shelter_id));
    if (res.explanation) return t('waits', res.explanation.message);
    return t('st_' + res.request.status);
  }

  function viewNew(main) {
    const form = el('form', {id: 'new-form', class: 'card', novalidate: true});
    const v = {};
    function input(name, type, attrs) {
      const id = 'f-' + name.replace(/\./g, '-');
      v[name] = el('input', Object.assign({id: id, type: type || 'text', 'data-field': name}, attrs || {}));
      return fieldBox(id, 'f_' + name.split('.').pop(), v[name]);
    }
    function select(name, values, labelKey, key) {
      const id = 'f-' + name.replace(/\./g, '-');
      v[name] = selectOf(id, name, values, labelKey);
      return fieldBox(id, key || 'f_' + name.split('.').pop(), v[name]);
    }
    const needs = el('fieldset', {class: 'needs', 'data-field': 'needs', id: 'f-needs'},
      el('legend', {text: t('f_needs')}),
      CARE.map(function (c) {
        return el('label', {class: 'check'},
          el('input', {type: 'checkbox', value: c, name: 'needs'}), ' ' + t('care_' + c));
      }), el('span', {id: 'f-needs-err', class: 'field-error'}));
    const result = el('div', {id: 'new-result', role: 'status', 'aria-live': 'polite'});
    form.append(el('h2', {text: t('one_request')}),
      el('div', {class: 'grid'},
        input('ref', 'text', {required: true}),
        select('person.gender', ENUMS.gender, 'g_', 'f_gender'),
        input('person.age', 'number', {min: 0, max: 120, required: true}),
        input('person.languages'), input('person.nationality'),
        input('children'),
        select('program', ENUMS.program),
        select('urgency', ENUMS.urgency),
        select('residence', ENUMS.residence),
        select('referrer', ENUMS.referrer),
        select('exploitation.sector', ENUMS.sector),
        input('exploitation.location.municipality', 'text'),
        input('safety.case'),
        input('safety.min_distance_km', 'number', {min: 0}),
        select('safety.co_victims', ENUMS.co_victims),
        select('safety.min_security', ENUMS.min_security),
        input('preferred_location.municipality')),
      needs,
      el('button', {type: 'submit', class: 'primary', id: 'submit-one', text: t('submit')}),
      result);
    // The ref is pseudonymous: say so where it is typed.
    v.ref.parentNode.append(el('span', {id: 'f-ref-hint', class: 'muted', text: t('ref_hint')}));
    v.ref.setAttribute('aria-describedby', 'f-ref-err f-ref-hint');
    // Labels for the nested location fields.
    form.querySelector('label[for="f-exploitation-location-municipality"]').textContent = t('f_exploitation');
    form.querySelector('label[for="f-preferred_location-municipality"]').textContent = t('f_preferred');

    function build() {
      const r = {ref: v.ref.value.trim(),
        person: {gender: v['person.gender'].value, age: v['person.age'].value === '' ? null : Number(v['person.age'].value)}};
      const langs = splitList(v['person.languages'].value);
      if (langs.length) r.person.languages = langs;
      if (v['person.nationality'].value.trim()) r.person.nationality = v['person.nationality'].value.trim();
      if (v.children.value.trim()) r.children = parseChildren(v.children.value);
      r.program = v.program.value;
      r.urgency = v.urgency.value;
      if (v.residence.value) r.residence = v.residence.value;
      if (v.referrer.value) r.referrer = v.referrer.value;
      const ex = {};
      if (v['exploitation.sector'].value) ex.sector = v['exploitation.sector'].value;
      if (v['exploitation.location.municipality'].value.trim())
        ex.location = {municipality: v['exploitation.location.municipality'].value.trim()};
      if (Object.keys(ex).length) r.exploitation = ex;
      const sf = {};
      if (v['safety.case'].value.trim()) sf.case = v['safety.case'].value.trim();
      if (v['safety.min_distance_km'].value !== '') sf.min_distance_km = Number(v['safety.min_distance_km'].value);
      if (v['safety.co_victims'].value) sf.co_victims = v['safety.co_victims'].value;
      if (v['safety.min_security'].value) sf.min_security = v['safety.min_security'].value;
      if (Object.keys(sf).length) r.safety = sf;
      if (v['preferred_location.municipality'].value.trim())
        r.preferred_location = {municipality: v['preferred_location.municipality'].value.trim()};
      const n = Array.from(needs.querySelectorAll('input:checked')).map(function (c) { return c.value; });
      if (n.length) r.needs = n;
      return r;
    }

    form.addEventListener('submit', async function (e) {
      e.preventDefault();
      clearErrors(form);
      result.textContent = '';
      try {
        const res = await rpc('request.submit', {request: build()});
        // Stored: the form is emptied for the next person (what was
        // typed does not stay on screen), with a link to this one.
        result.append(t(res.duplicate ? 'submitted_dup' : 'submitted',
          res.request.ref, resultText(res)), ' ',
          el('a', {href: '#/request/' + encodeURIComponent(res.request.id),
            id: 'new-result-link', text: t('open_request')}));
        form.reset();
        form.querySelectorAll('[data-dirty]').forEach(function (i) { i.removeAttribute('data-dirty'); });
        v.ref.focus();
      } catch (err) {
        // -32009 ref_conflict names its field (ref) too.
        if ((err.code !== -32602 && err.code !== -32009) || !err.data ||
            !showFieldErrors(form, err, ''))
          result.textContent = t('error', err.message);
        else result.textContent = t('field_error');
      }
    });

    main.append(el('h1', {text: t('new_title')}), form, raidForm());
  }

  function raidForm() {
    const form = el('form', {id: 'raid-form', class: 'card', novalidate: true});
    const shared = {};
    function sharedInput(name, key, type) {
      const id = 'raid-' + name.replace(/\./g, '-');
      shared[name] = el('input', {id: id, type: type || 'text', 'data-field': name});
      return fieldBox(id, key, shared[name]);
    }
    function sharedSelect(name, values, key) {
      const id = 'raid-' + name.replace(/\./g, '-');
      shared[name] = selectOf(id, name, values);
      return fieldBox(id, key, shared[name]);
    }
    const tbody = el('tbody', {id: 'raid-rows'});
    const result = el('div', {id: 'raid-result', role: 'status', 'aria-live': 'polite'});
    let n = 0;

    function cell(row, name, type, labelKey, attrs) {
      const id = 'raid-' + row + '-' + name.replace(/\./g, '-');
      const inp = name === 'person.gender'
        ? selectOf(id, name, ENUMS.gender, 'g_')
        : el('input', Object.assign({id: id, type: type || 'text', 'data-field': name}, attrs || {}));
      inp.setAttribute('aria-describedby', id + '-err');
      return el('td', {'data-label': t(labelKey)},
        el('label', {for: id, class: 'sr-only', text: t('row', row + 1) + ': ' + t(labelKey)}),
        inp, el('span', {id: id + '-err', class: 'field-error'}));
    }

    function addRow() {
      const i = n++;
      const rm = el('button', {type: 'button', class: 'link', text: '×',
        'aria-label': t('remove_row', i + 1)});
      const tr = el('tr', {class: 'raid-row'},
        cell(i, 'ref', 'text', 'f_ref'),
        cell(i, 'person.gender', null, 'f_gender'),
        cell(i, 'person.age', 'number', 'f_age', {min: 0, max: 120}),
        cell(i, 'person.languages', 'text', 'f_languages'),
        cell(i, 'needs', 'text', 'f_needs'),
        el('td', null, rm));
      rm.addEventListener('click', function () { tr.remove(); });
      tbody.append(tr);
    }

    /* The rows anyone typed into (an empty row is left out, not an
     * error), in order; rowAt(i) is the row of the i-th request sent. */
    let sent = [];
    function filled() {
      return Array.from(tbody.querySelectorAll('tr')).filter(function (tr) {
        return ['ref', 'person.age', 'person.languages', 'needs'].some(function (f) {
          return tr.querySelector('[data-field="' + f + '"]').value.trim() !== '';
        });
      });
    }
    function build() {
      sent = filled();
      return sent.map(function (tr) {
        const get = function (f) { return tr.querySelector('[data-field="' + f + '"]').value.trim(); };
        const r = {ref: get('ref'), program: 'any',
          person: {gender: get('person.gender'), age: get('person.age') === '' ? null : Number(get('person.age'))},
          urgency: shared.urgency.value};
        const langs = splitList(get('person.languages'));
        if (langs.length) r.person.languages = langs;
        const needs = splitList(get('needs'));
        if (needs.length) r.needs = needs;
        const ex = {sector: shared['exploitation.sector'].value || 'labour'};
        if (shared['exploitation.location.municipality'].value.trim())
          ex.location = {municipality: shared['exploitation.location.municipality'].value.trim()};
        r.exploitation = ex;
        const sf = {case: shared['safety.case'].value.trim()};
        if (shared['safety.min_distance_km'].value !== '')
          sf.min_distance_km = Number(shared['safety.min_distance_km'].value);
        if (shared['safety.co_victims'].value) sf.co_victims = shared['safety.co_victims'].value;
        r.safety = sf;
        if (shared.residence.value) r.residence = shared.residence.value;
        if (shared.referrer.value) r.referrer = shared.referrer.value;
        return r;
      });
    }

    const add = el('button', {type: 'button', id: 'raid-add', text: t('add_row')});
    add.addEventListener('click', function () { addRow(); });
    form.append(el('h2', {text: t('raid_title')}),
      el('fieldset', null, el('legend', {text: t('raid_shared')}),
        el('div', {class: 'grid'},
          sharedInput('safety.case', 'f_case'),
          sharedSelect('exploitation.sector', ENUMS.sector, 'f_sector'),
          sharedInput('exploitation.location.municipality', 'f_exploitation'),
          sharedInput('safety.min_distance_km', 'f_min_distance', 'number'),
          sharedSelect('safety.co_victims', ENUMS.co_victims, 'f_co_victims'),
          sharedSelect('urgency', ENUMS.urgency, 'f_urgency'),
          sharedSelect('residence', ENUMS.residence, 'f_residence'),
          sharedSelect('referrer', ENUMS.referrer, 'f_referrer'))),
      el('div', {class: 'table-wrap'}, el('table', {class: 'raid'},
        el('thead', null, el('tr', null,
          el('th', {scope: 'col', text: t('f_ref')}), el('th', {scope: 'col', text: t('f_gender')}),
          el('th', {scope: 'col', text: t('f_age')}), el('th', {scope: 'col', text: t('f_languages')}),
          el('th', {scope: 'col', text: t('f_needs')}), el('th', {scope: 'col', text: ''}))),
        tbody)),
      el('div', {class: 'actions'}, add,
        el('button', {type: 'submit', class: 'primary', id: 'raid-submit', text: t('submit_batch')})),
      result);
    shared.urgency.value = 'immediate';
    for (let i = 0; i < 3; i++) addRow();

    const rowAt = function (i) { return sent[i]; };
    form.addEventListener('submit', async function (e) {
      e.preventDefault();
      clearErrors(form);
      clear(result);
      const reqs = build();
      const list = el('ul', {id: 'raid-results'});
      let results = null;
      if (!missing['request.submit_batch']) {
        try {
          results = (await rpc('request.submit_batch', {requests: reqs})).results;
        } catch (err) {
          if (err.code === -32602) {
            // The shared fields carry no row: show them on the shared inputs.
            if (!showFieldErrors(form, err, '', rowAt)) result.textContent = t('error', err.message);
            else result.textContent = t('field_error');
            return;
          }
          if (err.code !== -32601) { result.textContent = t('error', err.message); return; }
        }
      }
      if (results === null) {
        // One by one. First every row through match.preview, which
        // validates as request.submit does and changes nothing: as with
        // request.submit_batch, one invalid row stores none of them.
        let bad = false;
        for (let i = 0; i < reqs.length; i++) {
          try {
            await rpc('match.preview', {request: reqs[i]});
          } catch (err) {
            if (err.code !== -32602) { result.textContent = t('error', err.message); return; }
            if (!showFieldErrors(rowAt(i), err, '')) showFieldErrors(form, err, '');
            bad = true;
          }
        }
        if (bad) { result.textContent = t('field_error'); return; }
        results = [];
        for (let i = 0; i < reqs.length; i++) {
          try {
            results.push(await rpc('request.submit', {request: reqs[i]}));
          } catch (err) {
            if (err.code === -32602) {
              const scope = rowAt(i);
              if (!showFieldErrors(scope, err, '') ) showFieldErrors(form, err, '');
            }
            results.push({error: err, ref: reqs[i].ref});
          }
        }
        result.append(el('p', {text: t('batch_one_by_one')}));
      }
      results.forEach(function (res) {
        list.append(el('li', {text: res.error ? res.ref + ': ' + res.error.message
          : t(res.duplicate ? 'submitted_dup' : 'submitted', res.request.ref, resultText(res))}));
      });
      result.append(el('p', {text: t('batch_done', results.filter(function (r) { return !r.error; }).length)}), list);
    });
    return form;
  }

  /* -- shelter page ----------------------------------------------------------- */

  function viewShelter(main) {
    const id = session.shelter;
    const body = el('div', {id: 'shelter-page'});
    const arrivals = {}; /* request_id -> placement */
    const residents = {};
    let shelter = null;
    let editVersion = null; /* the version the counts being typed began at */
    const armed = {}; /* request_id -> when its arrived/departed was armed */
    let useList = !missing['placement.list'];
    main.append(body);

    function render() { rerender(body, draw); }
    function draw() {
      clear(body);
      if (!shelter) return;
      const s = shelter;
      const f = freshness(s);
      const tbody = el('tbody');
      s.pools.forEach(function (pl) {
        const tid = 'total-' + pl.name, oid = 'occupied-' + pl.name;
        tbody.append(el('tr', {'data-pool': pl.name},
          el('th', {scope: 'row', text: pl.name}),
          el('td', {'data-label': t('total')},
            el('label', {for: tid, class: 'sr-only', text: pl.name + ': ' + t('total')}),
            el('input', {id: tid, type: 'number', min: 0, step: 1, required: true, value: pl.total,
              'data-count': 'total', 'data-field': 'pools.' + pl.name + '.total',
              'aria-describedby': tid + '-err'}),
            el('span', {id: tid + '-err', class: 'field-error', 'aria-live': 'polite'})),
          el('td', {'data-label': t('occupied')},
            el('label', {for: oid, class: 'sr-only', text: pl.name + ': ' + t('occupied')}),
            el('input', {id: oid, type: 'number', min: 0, step: 1, required: true, value: pl.occupied,
              'data-count': 'occupied', 'data-field': 'pools.' + pl.name + '.occupied',
              'aria-describedby': oid + '-err'}),
            el('span', {id: oid + '-err', class: 'field-error', 'aria-live': 'polite'})),
          el('td', {'data-label': t('held'), text: pl.held}),
          el('td', {'data-label': t('expected'), text: pl.expected}),
          el('td', {'data-label': t('free'), class: 'pool-free', text: pl.free})));
      });
      tbody.addEventListener('input', function () {
        if (editVersion === null) editVersion = s.version;
      });
      const report = el('button', {type: 'submit', class: 'primary', id: 'report', text: t('report')});
      const still = el('button', {type: 'button', id: 'still-correct', text: t('still_correct')});
      const form = el('form', {id: 'capacity-form', class: 'card', novalidate: true},
        el('div', {class: 'table-wrap'}, el('table', {class: 'pools-table'},
          el('thead', null, el('tr', null,
            el('th', {scope: 'col', text: ''}), el('th', {scope: 'col', text: t('total')}),
            el('th', {scope: 'col', text: t('occupied')}), el('th', {scope: 'col', text: t('held')}),
            el('th', {scope: 'col', text: t('expected')}), el('th', {scope: 'col', text: t('free')}))),
          tbody)),
        el('div', {class: 'actions'}, report, still));
      form.addEventListener('submit', async function (e) {
        e.preventDefault();
        clearErrors(form);
        // An empty or partial count is no count: never sent as 0.
        const bad = Array.prototype.filter.call(tbody.querySelectorAll('input'), function (i) {
          return !/^\d+$/.test(i.value.trim());
        });
        if (bad.length) {
          bad.forEach(function (i) {
            i.setAttribute('aria-invalid', 'true');
            document.getElementById(i.id + '-err').textContent = t('need_count');
          });
          bad[0].focus();
          notice(t('need_count'), true);
          return;
        }
        const pools = {};
        tbody.querySelectorAll('tr').forEach(function (tr) {
          pools[tr.getAttribute('data-pool')] = {
            total: Number(tr.querySelector('[data-count=total]').value),
            occupied: Number(tr.querySelector('[data-count=occupied]').value)};
        });
        try {
          // if_version: a report made meanwhile by someone else is not
          // overwritten unseen.
          const r = await rpc('shelter.capacity', {id: id, pools: pools,
            if_version: editVersion !== null ? editVersion : s.version});
          editVersion = null;
          shelter = r.shelter;
          notice(t('reported'));
          tbody.querySelectorAll('input').forEach(function (i) { i.removeAttribute('data-dirty'); });
          render();
        } catch (err) {
          if (err.code === -32009 && err.data && err.data.reason === 'version') {
            editVersion = null;
            body.querySelectorAll('#capacity-form input').forEach(function (i) { i.removeAttribute('data-dirty'); });
            await refresh();
            notice(t('report_stale'), true);
            return;
          }
          if (err.code === -32602 && err.data && showFieldErrors(form, err)) {
            notice(t('error', err.message), true);
            return;
          }
          notice(t('error', err.message), true);
        }
      });
      still.addEventListener('click', async function () {
        try {
          let r;
          try {
            r = await rpc('shelter.capacity', {id: id});
          } catch (err) {
            if (err.code !== -32602) throw err;
            // A daemon without heartbeats: report the same counts.
            const pools = {};
            s.pools.forEach(function (pl) { pools[pl.name] = {total: pl.total, occupied: pl.occupied}; });
            r = await rpc('shelter.capacity', {id: id, pools: pools});
          }
          shelter = r.shelter;
          notice(t('reported'));
          render();
        } catch (err) { notice(t('error', err.message), true); }
      });

      const intake = s.intake || {};
      const reason = el('input', {id: 'intake-reason', type: 'text', maxlength: 500});
      const toggle = el('button', {type: 'button', id: 'intake-toggle',
        class: intake.open ? 'danger' : 'primary',
        text: intake.open ? t('close_intake') : t('open_intake')});
      toggle.addEventListener('click', async function () {
        const params = {id: id, open: !intake.open};
        if (intake.open && reason.value.trim()) params.reason = reason.value.trim();
        try {
          shelter = (await rpc('shelter.intake', params)).shelter;
          reason.value = '';
          reason.removeAttribute('data-dirty');
          render();
        } catch (err) { notice(t('error', err.message), true); }
      });

      body.append(el('h1', null, s.name + ' ',
        el('span', {class: 'badge ' + f.state, 'data-freshness': f.state,
          text: t(f.state) + ' · ' + ageWords(f.age)})),
        el('section', {'aria-labelledby': 'cap-h'},
          el('h2', {id: 'cap-h', text: t('report')}), form),
        el('section', {'aria-labelledby': 'intake-h', class: 'card'},
          el('h2', {id: 'intake-h', text: t('col_intake')}),
          el('p', null, el('span', {class: 'badge ' + (intake.open ? 'open' : 'closed'),
            'data-intake': intake.open ? 'open' : 'closed',
            text: intake.open ? t('intake_open') : intake.reason
              ? t('intake_closed_reason', intake.reason) : t('intake_closed')})),
          intake.open ? el('div', {class: 'field'},
            el('label', {for: 'intake-reason', text: t('intake_reason')}), reason) : null,
          toggle),
        placementSection('arrivals', t('arrivals'), arrivals, 'arrived'),
        placementSection('residents', t('residents'), residents, 'departed'));
    }

    function placementSection(sid, title, map, action) {
      const ids = Object.keys(map).sort();
      const method = action === 'arrived' ? 'placement.arrived' : 'placement.departed';
      const ul = el('ul', {class: 'cards'});
      ids.forEach(function (rid) {
        const p = map[rid];
        const on = armed[rid] !== undefined;
        const btn = missing[method] ? null : el('button', {type: 'button', class: 'primary ' + action,
          id: action + '-' + rid, 'data-request': rid, 'data-armed': on,
          text: on ? t('confirm_' + action) : t(action)});
        if (btn) btn.addEventListener('click', async function () {
          // One click arms, a second within 5 s acts: no stray click
          // marks someone arrived or departed. (Armed outlives a live
          // re-render.)
          if (armed[rid] === undefined) {
            armed[rid] = setTimeout(function () { delete armed[rid]; render(); }, 5000);
            render();
            return;
          }
          clearTimeout(armed[rid]);
          delete armed[rid];
          btn.disabled = true;
          try {
            await rpc(method, {request_id: rid});
            delete map[rid];
            if (action === 'arrived') residents[rid] = p;
            notice(t('saved'));
            refresh();
          } catch (err) {
            notice(t('error', err.message), true);
            btn.disabled = false;
            if (err.code === -32601) render();
          }
        });
        // The request id and since when tell two alike households apart.
        ul.append(el('li', {class: 'card', 'data-request': rid},
          el('p', null, el('strong', {text: t('pool', p.pool)}), ' · ' + household(p.household || {})),
          el('p', {class: 'muted', text: rid + (p.since ? ' · ' + fmtTime(p.since) : '')}),
          btn));
      });
      return el('section', {id: sid, 'aria-labelledby': sid + '-h'},
        el('h2', {id: sid + '-h', text: title + ' (' + ids.length + ')'}),
        ids.length ? ul : el('p', {text: t('none')}));
    }

    async function refresh() {
      try {
        shelter = received((await rpc('shelter.get', {id: id})).shelter);
      } catch (err) { notice(t('error', err.message), true); }
      if (useList) {
        try {
          const r = await rpc('placement.list', {});
          Object.keys(arrivals).forEach(function (k) { delete arrivals[k]; });
          Object.keys(residents).forEach(function (k) { delete residents[k]; });
          r.placements.forEach(function (p) {
            (p.status === 'expected' ? arrivals : residents)[p.request_id] = p;
          });
        } catch (err) {
          if (err.code === -32601) { useList = false; startStream(); }
        }
      }
      render();
    }
    const later = debounce(refresh, 150);

    /* Without placement.list, the placements are the replayed events. */
    function onEvent(ev) {
      const d = ev.data || {};
      if (!useList && ev.topic === 'placements') {
        if (ev.type === 'placement.expected') arrivals[d.request_id] = d;
        else if (ev.type === 'placement.arrived') {
          residents[d.request_id] = arrivals[d.request_id] || d;
          delete arrivals[d.request_id];
        } else if (ev.type === 'placement.cancelled') delete arrivals[d.request_id];
        else if (ev.type === 'placement.departed') delete residents[d.request_id];
      }
      later();
    }
    function startStream() {
      openStream(['capacity', 'placements'], onEvent, useList ? null : '0-0');
    }
    startStream();
    // Without params the call changes nothing: -32601 says the daemon has
    // no placement.departed (then no Departed button), -32602 that it has.
    rpc('placement.departed', {}).catch(function () {}).then(refresh);
  }

  /* -- reports ---------------------------------------------------------------- */

  const REPORT_DIMS = {
    registrations: ['kind', 'sector', 'nationality', 'age_band', 'referrer',
      'region', 'gender', 'minor_dutch'],
    placements: ['program', 'urgency', 'referrer']
  };
  const COUNT_FIGURES = ['requests', 'placed', 'placed_24h', 'cancelled', 'long_stays'];
  const RATE_FIGURES = ['median_wait_h', 'p90_wait_h', 'median_stay_d'];
  const SVG_NS = 'http://www.w3.org/2000/svg';

  function svg(tag, attrs) {
    const e = document.createElementNS(SVG_NS, tag);
    for (const k in attrs || {}) {
      const v = attrs[k];
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v);
    }
    for (let i = 2; i < arguments.length; i++) if (arguments[i]) e.append(arguments[i]);
    return e;
  }

  function isoDay(d) {
    return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' +
      String(d.getDate()).padStart(2, '0');
  }

  /* One published or unpublished figure of an entry, as the page shows it.
   * An unpublished count is '<MIN', never a number; an unpublished
   * median or percentile is 'n/p'. */
  function figureOf(entry, figure, minCell) {
    if (!entry) return {text: '', value: null, hidden: false};
    const v = figure === 'count' ? entry.count : entry[figure];
    if (v !== null && v !== undefined && !entry.suppressed)
      return {text: String(v), value: v, hidden: false};
    if (RATE_FIGURES.includes(figure) && !entry.suppressed)
      return {text: t('rep_np'), value: null, hidden: true, np: true};
    return {text: '<' + minCell, value: null, hidden: true};
  }

  function dimLabel(d) { return t('dim_' + d); }
  function valueLabel(d, v) { return d === 'gender' && STRINGS.en['g_' + v] ? t('g_' + v) : v; }

  function viewReports(main) {
    const today = new Date();
    const first = new Date(today.getFullYear(), 0, 1);
    const kind = el('select', {id: 'rep-kind'},
      el('option', {value: 'registrations', text: t('rep_registrations')}),
      el('option', {value: 'placements', text: t('rep_placements')}));
    const from = el('input', {id: 'rep-from', type: 'date', required: true, value: isoDay(first)});
    const to = el('input', {id: 'rep-to', type: 'date', required: true, value: isoDay(today)});
    const dims = [0, 1, 2].map(function (i) { return el('select', {id: 'rep-by-' + i}); });
    const figure = el('select', {id: 'rep-figure'});
    const figureBox = el('div', {class: 'field'},
      el('label', {for: 'rep-figure', text: t('rep_figure')}), figure);
    const err = el('p', {id: 'rep-error', class: 'field-error', role: 'alert'});
    const out = el('div', {id: 'report', 'aria-live': 'polite'});
    let last = null;

    function fillDims() {
      const list = REPORT_DIMS[kind.value];
      dims.forEach(function (s, i) {
        const keep = s.value;
        clear(s);
        if (i > 0) s.append(el('option', {value: '', text: t('rep_none_dim')}));
        list.forEach(function (d) { s.append(el('option', {value: d, text: dimLabel(d)})); });
        s.value = list.includes(keep) ? keep : i === 0 ? list[0] : '';
      });
      clear(figure);
      (kind.value === 'placements' ? COUNT_FIGURES.concat(RATE_FIGURES) : ['count'])
        .forEach(function (f) { figure.append(el('option', {value: f, text: t('fig_' + f)})); });
      figureBox.hidden = kind.value !== 'placements';
    }
    kind.addEventListener('change', function () { fillDims(); clear(out); last = null; });
    figure.addEventListener('change', function () { if (last) draw(last); });
    fillDims();

    const form = el('form', {id: 'report-form', class: 'card'},
      el('div', {class: 'filters'},
        el('div', {class: 'field'}, el('label', {for: 'rep-kind', text: t('rep_kind')}), kind),
        el('div', {class: 'field'}, el('label', {for: 'rep-from', text: t('rep_from')}), from),
        el('div', {class: 'field'}, el('label', {for: 'rep-to', text: t('rep_to')}), to),
        dims.map(function (s, i) {
          return el('div', {class: 'field'},
            el('label', {for: s.id, text: t('rep_by_' + i)}), s);
        }),
        figureBox),
      err,
      el('div', {class: 'actions'},
        el('button', {type: 'submit', class: 'primary', id: 'rep-show', text: t('rep_show')})));
    form.addEventListener('submit', async function (e) {
      e.preventDefault();
      err.textContent = '';
      const by = dims.map(function (s) { return s.value; }).filter(Boolean);
      if (!by.length) { err.textContent = t('rep_need_dim'); return; }
      if (new Set(by).size !== by.length) { err.textContent = t('rep_dup_dim'); return; }
      const method = kind.value === 'placements' ? 'report.placements' : 'report.registrations';
      try {
        const r = await rpc(method, {from: from.value, to: to.value, by: by});
        last = {kind: kind.value, r: r};
        draw(last);
      } catch (x) {
        clear(out);
        err.textContent = t('error', x.message);
      }
    });
    main.append(el('h1', {text: t('reports_title')}), form, out);

    function draw(rep) {
      const r = rep.r;
      const fig = rep.kind === 'placements' ? figure.value : 'count';
      const min = r.min_cell;
      clear(out);
      // The pattern a suppressed bar is filled with (see .bar.suppressed).
      const defs = svg('svg', {class: 'defs', 'aria-hidden': 'true', focusable: 'false',
        width: 0, height: 0},
        svg('defs', null,
          svg('pattern', {id: 'hatch', patternUnits: 'userSpaceOnUse', width: 8, height: 8,
            patternTransform: 'rotate(45)'},
            svg('rect', {class: 'hatch-bg', width: 8, height: 8}),
            svg('line', {class: 'hatch-line', x1: 0, y1: 0, x2: 0, y2: 8}))));
      const legend = el('div', {id: 'rep-legend', class: 'legend'},
        el('p', {text: t('rep_legend', min)}),
        rep.kind === 'placements' ? el('p', {text: t('rep_legend_np', min)}) : null);
      out.append(defs,
        el('p', {class: 'period', text: t('rep_period', r.from, r.to)}),
        legend,
        el('h2', {id: 'rep-table-h', text: t('rep_table') + ' · ' + t('fig_' + fig)}),
        el('div', {class: 'table-wrap'}, crossTable(r, fig, min)),
        el('h2', {text: t('rep_charts')}),
        el('div', {class: 'charts'}, r.by.map(function (d) {
          return barChart(d, r.margins[d] || [], fig, min);
        })));
    }

    function cellTd(entry, fig, min, extra) {
      const f = figureOf(entry, fig, min);
      return el('td', Object.assign({class: 'num' + (f.hidden ? ' suppressed' : ''),
        'data-suppressed': f.hidden && !f.np ? 'true' : null, text: f.text}, extra || {}));
    }

    function totalEntry(r) {
      if (r.total !== null && typeof r.total === 'object') return r.total;
      return {count: r.total, suppressed: !!r.total_suppressed || r.total === null};
    }

    function crossTable(r, fig, min) {
      const by = r.by;
      const find = function (key) {
        return r.cells.find(function (c) {
          return by.every(function (d) { return c.key[d] === key[d]; });
        });
      };
      const margin = function (d, v) {
        return (r.margins[d] || []).find(function (m) { return m.value === v; });
      };
      const vals = function (d) { return (r.margins[d] || []).map(function (m) { return m.value; }); };
      const table = el('table', {class: 'report', id: 'rep-table'});
      const head = el('tr');
      const tbody = el('tbody');
      const foot = el('tr', {class: 'margin'});
      if (by.length === 1) {
        head.append(el('th', {scope: 'col', text: dimLabel(by[0])}),
          el('th', {scope: 'col', class: 'num', text: t('fig_' + fig)}));
        vals(by[0]).forEach(function (v) {
          tbody.append(el('tr', null, el('th', {scope: 'row', text: valueLabel(by[0], v)}),
            cellTd(margin(by[0], v), fig, min)));
        });
      } else {
        const rowDims = by.slice(0, -1), col = by[by.length - 1];
        rowDims.forEach(function (d) { head.append(el('th', {scope: 'col', text: dimLabel(d)})); });
        vals(col).forEach(function (v) {
          head.append(el('th', {scope: 'col', class: 'num', text: dimLabel(col) + ': ' + valueLabel(col, v)}));
        });
        head.append(el('th', {scope: 'col', class: 'num', text: t('rep_total')}));
        const rows = rowDims.length === 1 ? vals(rowDims[0]).map(function (v) { return [v]; })
          : [].concat.apply([], vals(rowDims[0]).map(function (a) {
            return vals(rowDims[1]).map(function (b) { return [a, b]; });
          }));
        rows.forEach(function (rv) {
          const tr = el('tr');
          rv.forEach(function (v, i) {
            tr.append(el('th', {scope: 'row', text: valueLabel(rowDims[i], v)}));
          });
          vals(col).forEach(function (v) {
            const key = {};
            rowDims.forEach(function (d, i) { key[d] = rv[i]; });
            key[col] = v;
            tr.append(cellTd(find(key), fig, min));
          });
          // Row margins are published for a single row dimension only.
          tr.append(rowDims.length === 1 ? cellTd(margin(rowDims[0], rv[0]), fig, min)
            : el('td', {class: 'num'}));
          tbody.append(tr);
        });
      }
      // The footer: the last dimension's margins and the total.
      foot.append(el('th', {scope: 'row', colspan: by.length === 1 ? 1 : by.length - 1,
        text: t('rep_total')}));
      if (by.length > 1)
        vals(by[by.length - 1]).forEach(function (v) {
          foot.append(cellTd(margin(by[by.length - 1], v), fig, min));
        });
      foot.append(cellTd(totalEntry(r), fig, min, {id: 'rep-total'}));
      table.append(el('thead', null, head), tbody, el('tfoot', null, foot));
      return table;
    }

    /* A horizontal bar per value of one dimension, from its margins. A
     * published bar's length is its figure; an unpublished one is a
     * hatched bar of one fixed length, labelled in words. */
    function barChart(d, entries, fig, min) {
      const rowH = 28, labelW = 170, trackW = 200, valueW = 210, pad = 4;
      const w = labelW + trackW + valueW, h = entries.length * rowH + pad * 2;
      const max = Math.max.apply(null, [1].concat(entries.map(function (m) {
        const f = figureOf(m, fig, min);
        return typeof f.value === 'number' ? f.value : 0;
      })));
      const title = t('rep_chart_title', dimLabel(d), t('fig_' + fig));
      const root = svg('svg', {class: 'chart', viewBox: '0 0 ' + w + ' ' + h,
        role: 'img', 'aria-labelledby': 'chart-' + d + '-t', 'data-dim': d},
        svg('title', {id: 'chart-' + d + '-t', text: title}));
      entries.forEach(function (m, i) {
        const f = figureOf(m, fig, min);
        const y = pad + i * rowH;
        const label = valueLabel(d, m.value);
        const words = f.hidden ? (f.np ? t('rep_np') : t('rep_suppressed_bar', min)) : f.text;
        const g = svg('g', {class: 'bar-row', 'data-value': m.value,
          'data-suppressed': f.hidden ? 'true' : null},
          svg('title', {text: label + ': ' + words}),
          svg('text', {class: 'bar-label', x: labelW - 8, y: y + rowH / 2 + 5, text: label}));
        if (f.hidden)
          g.append(svg('rect', {class: 'bar suppressed', x: labelW, y: y + 4,
            width: trackW, height: rowH - 8}));
        else if (f.value > 0)
          g.append(svg('rect', {class: 'bar', x: labelW, y: y + 4,
            width: Math.max(1, Math.round(trackW * f.value / max)), height: rowH - 8}));
        g.append(svg('text', {class: 'bar-value' + (f.hidden ? ' suppressed' : ''),
          x: labelW + trackW + 8, y: y + rowH / 2 + 5, text: words}));
        root.append(g);
      });
      return el('figure', {class: 'chart-box'},
        el('figcaption', {text: title}), root);
    }
  }

  /* -- routing ---------------------------------------------------------------- */

  /* What was typed into the new-request page, kept in memory (never in
   * storage) while it is rebuilt: a language switch, another tab and
   * back, a login after the session expired. Keyed by element id, or by
   * name and value for the care checkboxes. */
  let draft = null, shown = null;

  function draftKey(e) {
    return e.id || (e.type === 'checkbox' ? 'cb:' + e.name + ':' + e.value : null);
  }

  function keepDraft(main) {
    draft = {};
    main.querySelectorAll('input, select, textarea').forEach(function (e) {
      const k = draftKey(e);
      if (k) draft[k] = e.type === 'checkbox' ? e.checked : e.value;
    });
  }

  function restoreDraft(main) {
    if (!draft) return;
    main.querySelectorAll('input, select, textarea').forEach(function (e) {
      const k = draftKey(e);
      if (!k || !(k in draft)) return;
      if (e.type === 'checkbox') e.checked = draft[k];
      else if (e.value !== draft[k]) { e.value = draft[k]; e.setAttribute('data-dirty', ''); }
    });
  }

  function route() {
    const main = document.getElementById('main');
    if (shown === '#/new' && main.querySelector('#new-form')) keepDraft(main);
    shown = null;
    if (!session) { showLogin(); return; }
    if (typeof view === 'function') view();
    view = null;
    closeStream();
    notice('');
    setChrome();
    clear(main);
    const h = location.hash || defaultRoute();
    shown = h;
    const staff = session.role === 'admin' || session.role === 'coordinator';
    if (h.startsWith('#/request/') && staff)
      view = viewRequest(main, decodeURIComponent(h.slice('#/request/'.length)));
    else if (h === '#/work' && staff) view = viewWork(main);
    else if (h === '#/new' && staff) { viewNew(main); restoreDraft(main); }
    else if (h === '#/reports' && (staff || session.role === 'service')) viewReports(main);
    else if (h === '#/shelter' && session.role === 'shelter') viewShelter(main);
    else if (session.role !== 'shelter' && (h === '#/board' || h === defaultRoute()))
      view = viewBoard(main);
    else { location.hash = defaultRoute(); return; }
    // A new page: focus its heading, so a screen reader says where it is.
    const h1 = main.querySelector('h1');
    if (h1 && document.activeElement && document.activeElement.closest &&
        document.activeElement.closest('nav')) {
      h1.setAttribute('tabindex', '-1');
      h1.focus();
    }
  }

  async function start() {
    document.getElementById('lang').addEventListener('change', function (e) {
      lang = e.target.value;
      localStorage.setItem('shelterd.lang', lang);
      route();
    });
    document.getElementById('logout').addEventListener('click', async function () {
      await fetch('/logout', {method: 'POST', credentials: 'same-origin',
        headers: {'X-CSRF-Token': session ? session.csrf : ''}});
      session = null;
      draft = null;
      shown = null;
      closeStream();
      location.hash = '';
      showLogin();
    });
    window.addEventListener('hashchange', route);
    const r = await fetch('/session', {credentials: 'same-origin'});
    const j = r.status === 200 ? await r.json() : {};
    session = j.csrf ? j : null;
    route();
  }

  start();
})();
