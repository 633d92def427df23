/* erplan report: choose a flow, draw its paths on the map, list its hops.
   Plain DOM, no framework. Names from the design only ever become text (textContent and
   attribute values), never markup. The strokes follow the same rules as erplan/report/sketch.py. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var data = JSON.parse(document.getElementById("erplan-data").textContent);
  data.rows = data.rows.map(function (values) {
    var row = {};
    data.row_fields.forEach(function (name, i) { row[name] = values[i]; });
    return row;
  });
  var T = data.text;
  var map = document.getElementById("map");
  var overlay = document.getElementById("overlay");
  var list = document.getElementById("flow-list");
  var filter = document.getElementById("flow-filter");
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input[name=verdict]"));
  var details = document.getElementById("flow-details");
  var statusLine = document.getElementById("flow-status");
  var countLine = document.getElementById("flow-count");
  var zoom = document.getElementById("map-zoom");
  var wholeView = map.getAttribute("viewBox");
  var OFFSET = 3;
  var current = -1;

  var nodeEls = new Map();
  Array.prototype.forEach.call(map.querySelectorAll("g[data-node]"), function (el) {
    nodeEls.set(el.getAttribute("data-node"), el);
  });
  var where = new Map();
  data.nodes.forEach(function (n) {
    if (n[1] !== null) { where.set(n[0], [n[1], n[2]]); }
  });

  function text(i) { return i < 0 ? "" : T[i]; }
  function nodeOf(hop) { return data.nodes[data.hops[hop][0]][0]; }
  function el(tag, cls, content) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (content !== undefined) { e.textContent = content; }
    return e;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    return e;
  }
  function tenths(ms) { return Math.round(ms * 10); }
  function ms(t) { return (t / 10).toFixed(1) + " ms"; }
  function pct(x) { return (Math.round(x * 1000) / 10) + " %"; }

  /* -- strokes (sketch.py) ---------------------------------------------------------------- */
  function hopPoint(hops, i, fe) {
    var node = nodeOf(hops[i]);
    if (node === "microsoft") {
      var f = fe >= 0 ? data.nodes[fe][0] : null;
      return f !== null && where.has(f) ? f : "microsoft";
    }
    if (node === "internet") {
      var near = [i - 1, i + 1].filter(function (j) { return j >= 0 && j < hops.length; })
        .map(function (j) { return nodeOf(hops[j]); });
      return near.indexOf("microsoft") >= 0 ? null : "internet";
    }
    return where.has(node) ? node : null;
  }
  function segStyle(a, b, skipped) {
    if (skipped) { return "internet"; }
    var ends = [a, b];
    if (ends.indexOf("microsoft") >= 0 && ends.some(function (n) { return n.indexOf("msee:") === 0; })) {
      return "backbone";
    }
    return "wire";
  }
  function stroke(pathIndex, direction, status, fe) {
    var p = data.paths[pathIndex];
    var hops = p[3];
    var points = [], styles = [], at = [];
    var last = null, skipped = false;
    for (var i = 0; i < hops.length; i++) {
      var node = nodeOf(hops[i]);
      var pt = hopPoint(hops, i, fe);
      if (pt === null) { skipped = skipped || node === "internet"; continue; }
      if (points.length && pt === points[points.length - 1]) {
        last = node; at[at.length - 1].push(hops[i]); continue;
      }
      if (points.length) { styles.push(segStyle(last, node, skipped)); }
      points.push(pt); at.push([hops[i]]); last = node; skipped = false;
    }
    var failed = points.length && text(p[0]) !== "delivered" ? points[points.length - 1] : null;
    return { direction: direction, status: status, points: points, styles: styles, at: at, failed: failed };
  }
  function legStatus(pathIndex, reply, cls) {
    if (text(data.paths[pathIndex][0]) !== "delivered" || cls === "slow") { return "bad"; }
    if (reply && cls === "asymmetric") { return "bad"; }
    return "ok";
  }
  function strokes(row) {
    var seen = new Set(), out = [];
    row.branches.forEach(function (b) {
      var legs = [["request", b[3]]];
      if (b[4] >= 0) { legs.push(["reply", b[4]]); }
      legs.forEach(function (leg) {
        var s = stroke(leg[1], leg[0], legStatus(leg[1], leg[0] === "reply", b[2]), b[5]);
        var key = [s.direction, s.status, s.points.join("\u0000"), s.styles.join(",")].join("\u0001");
        if (seen.has(key) || s.points.length < 1) { return; }
        seen.add(key); out.push(s);
      });
    });
    return out;
  }

  /* -- drawing ---------------------------------------------------------------------------- */
  function hopLine(h) {
    var hop = data.hops[h];
    var parts = [text(hop[1]) + ": " + text(hop[2])];
    if (hop[3] >= 0) { parts.push(text(hop[3])); }
    if (hop[4] >= 0) { parts.push("(" + text(hop[4]) + ")"); }
    return parts.join("; ");
  }
  function draw(all) {
    while (overlay.firstChild) { overlay.removeChild(overlay.firstChild); }
    all.forEach(function (s) {
      var g = svg("g", { "class": "stroke " + s.direction + " " + s.status });
      var side = s.direction === "reply" ? OFFSET : -OFFSET;
      for (var i = 0; i < s.styles.length; i++) {
        var a = where.get(s.points[i]), b = where.get(s.points[i + 1]);
        var len = Math.hypot(b[0] - a[0], b[1] - a[1]) || 1;
        var ox = -(b[1] - a[1]) / len * side, oy = (b[0] - a[0]) / len * side;
        var line = svg("line", {
          "class": "seg " + s.styles[i],
          x1: (a[0] + ox).toFixed(1), y1: (a[1] + oy).toFixed(1),
          x2: (b[0] + ox).toFixed(1), y2: (b[1] + oy).toFixed(1),
          "data-from": s.points[i], "data-to": s.points[i + 1]
        });
        if (i === s.styles.length - 1) { line.setAttribute("marker-end", "url(#arrow-" + s.status + ")"); }
        g.appendChild(line);
      }
      s.points.forEach(function (p, k) {
        var xy = where.get(p);
        var nat = s.at[k].some(function (h) { return data.hops[h][3] >= 0; });
        var dot = svg("circle", { "class": "hop-dot" + (nat ? " nat" : ""), cx: xy[0], cy: xy[1], r: nat ? 4 : 2.6 });
        var title = svg("title", {});
        title.textContent = s.direction + "\n" + s.at[k].map(hopLine).join("\n");
        dot.appendChild(title);
        g.appendChild(dot);
      });
      if (s.failed) {
        var f = where.get(s.failed);
        var x = svg("path", { "class": "failed-hop", d: "M-6,-6 L6,6 M-6,6 L6,-6", transform: "translate(" + f[0] + "," + f[1] + ")" });
        var ft = svg("title", {}); ft.textContent = s.direction + " fails here";
        x.appendChild(ft);
        g.appendChild(x);
      }
      overlay.appendChild(g);
    });
  }
  function frame(all) {
    if (!zoom || !zoom.checked) { map.setAttribute("viewBox", wholeView); return; }
    var xs = [], ys = [];
    all.forEach(function (s) { s.points.forEach(function (p) { var xy = where.get(p); xs.push(xy[0]); ys.push(xy[1]); }); });
    if (!xs.length) { map.setAttribute("viewBox", wholeView); return; }
    var full = wholeView.split(" ").map(Number);
    var x0 = Math.min.apply(null, xs) - 60, x1 = Math.max.apply(null, xs) + 60;
    var y0 = Math.min.apply(null, ys) - 50, y1 = Math.max.apply(null, ys) + 50;
    var w = Math.max(x1 - x0, 240), h = Math.max(y1 - y0, 160);
    var ratio = full[2] / full[3];
    if (w / h > ratio) { h = w / ratio; } else { w = h * ratio; }
    var cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
    map.setAttribute("viewBox", [cx - w / 2, cy - h / 2, w, h].map(function (v) { return v.toFixed(1); }).join(" "));
  }

  /* -- highlighting ----------------------------------------------------------------------- */
  var lit = [];
  function light(row) {
    lit.forEach(function (e) { e.classList.remove("hop", "reached"); });
    lit = [];
    var nodes = new Set(), reached = new Set();
    row.branches.forEach(function (b) {
      [b[3], b[4]].forEach(function (p) {
        if (p >= 0) { data.paths[p][3].forEach(function (h) { nodes.add(nodeOf(h)); }); }
      });
      if (b[5] >= 0) { reached.add(data.nodes[b[5]][0]); }
    });
    nodes.forEach(function (n) { var e = nodeEls.get(n); if (e) { e.classList.add("hop"); lit.push(e); } });
    reached.forEach(function (n) { var e = nodeEls.get(n); if (e) { e.classList.add("reached"); lit.push(e); } });
  }

  /* -- details (the same, as text) -------------------------------------------------------- */
  function pathBlock(title, pathIndex) {
    var p = data.paths[pathIndex];
    var total = 0;
    var ol = el("ol", "hops");
    p[3].forEach(function (h) {
      var hop = data.hops[h];
      var t = tenths(hop[5]);
      total += t;
      var li = el("li");
      li.appendChild(el("span", "hop-label", text(hop[1])));
      li.appendChild(el("span", "addr", text(hop[2])));
      if (hop[3] >= 0) { li.appendChild(el("span", "nat", text(hop[3]))); }
      if (hop[4] >= 0) { li.appendChild(el("span", "action", text(hop[4]))); }
      if (t) { li.appendChild(el("span", "ms", "+" + ms(t) + (hop[6] ? " (estimated)" : ""))); }
      ol.appendChild(li);
    });
    var box = el("div", "path " + text(p[0]));
    var edge = text(p[2]);
    box.appendChild(el("h5", "", title + (edge ? " by " + edge : "") + ": " + text(p[0]) + ", " + ms(total) + " one way"));
    box.appendChild(ol);
    if (p[1] >= 0 && text(p[0]) !== "delivered") { box.appendChild(el("p", "reason", text(p[1]))); }
    return { box: box, total: total };
  }
  function pathTenths(pathIndex) {
    return data.paths[pathIndex][3].reduce(function (sum, h) { return sum + tenths(data.hops[h][5]); }, 0);
  }
  function roundTrip(b) {
    var fwd = pathTenths(b[3]);
    return fwd + (b[4] >= 0 ? pathTenths(b[4]) : fwd);
  }
  /* The row's latency as its branches show it (hop figures rounded, then added): the slowest
     branch that works, so the figure on the verdict line is one of the branch totals below. */
  function rowTenths(row) {
    var worst = null;
    row.branches.forEach(function (b) {
      if (b[1] === "ok" || b[1] === "asymmetric") { worst = Math.max(worst === null ? 0 : worst, roundTrip(b)); }
    });
    return worst;
  }
  function describe(row) {
    while (details.firstChild) { details.removeChild(details.firstChild); }
    var h = el("h3", "", "Flow " + row.key + (row.keys > 1 ? " and " + (row.keys - 1) + " more like it" : ""));
    h.id = "flow-details-h";
    details.appendChild(h);
    details.appendChild(el("p", "row-title", row.title));
    var verdict = el("p", "verdict-line");
    verdict.appendChild(el("span", "verdict v-" + row.verdict, row.verdict));
    var said = [];
    if (row.code) { said.push(row.code); }
    if (row.verdict !== "ok") { said.push(pct(row.share) + " of connections"); said.push(row.users + " users affected"); }
    var rt = rowTenths(row);
    if (rt !== null) { said.push("latency " + ms(rt) + " round trip" + (row.estimated ? " (estimated)" : "")); }
    if (row.best !== null) { said.push("best this origin has: " + row.best.toFixed(1) + " ms"); }
    verdict.appendChild(document.createTextNode(" " + said.join(" · ")));
    details.appendChild(verdict);
    [["Cause", row.cause], ["Fix", row.fix], ["Guide", row.guide]].forEach(function (kv) {
      if (kv[1] >= 0) {
        var p = el("p", kv[0].toLowerCase());
        p.appendChild(el("strong", "", kv[0] + ": "));
        p.appendChild(document.createTextNode(text(kv[1])));
        details.appendChild(p);
      }
    });
    if (row.cause_key) { details.appendChild(el("p", "cause-key", "cause key: " + row.cause_key)); }
    row.before.forEach(function (b) {
      details.appendChild(el("p", "before", "Before the connection: " + b[0] + " fails for " + pct(b[1]) + " of connections: " + b[2]));
    });
    row.branches.forEach(function (b, i) {
      var sec = el("section", "branch " + b[1]);
      var head = el("h4", "", "Branch " + (i + 1) + " of " + row.branches.length + ": " + pct(b[0]) + " of connections, " + b[1]);
      sec.appendChild(head);
      var fwd = pathBlock("Request", b[3]);
      sec.appendChild(fwd.box);
      var back = b[4] >= 0 ? pathBlock("Reply", b[4]) : null;
      if (back) { sec.appendChild(back.box); }
      if (b[1] === "ok" || b[1] === "asymmetric") {
        head.textContent += ", " + ms(fwd.total + (back ? back.total : fwd.total)) + " round trip";
      }
      details.appendChild(sec);
    });
  }

  /* -- the list --------------------------------------------------------------------------- */
  function wanted() {
    var on = new Set(boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; }));
    var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    return function (row) {
      if (!on.has(row.verdict)) { return false; }
      var hay = [row.key, row.title, row.verdict, row.code || "", row.cause_key || ""].join(" ").toLowerCase();
      return words.every(function (w) { return hay.indexOf(w) >= 0; });
    };
  }
  function fill() {
    var keep = wanted();
    var frag = document.createDocumentFragment();
    var shown = 0;
    data.rows.forEach(function (row, i) {
      if (!keep(row)) { return; }
      var o = el("option", "v-" + row.verdict, row.verdict + " · " + row.title + " · " + row.key);
      o.value = String(i);
      if (i === current) { o.selected = true; }
      frag.appendChild(o);
      shown++;
    });
    while (list.firstChild) { list.removeChild(list.firstChild); }
    list.appendChild(frag);
    countLine.textContent = "(" + shown + " of " + data.rows.length + ")";
  }
  function show(i) {
    var row = data.rows[i];
    if (!row) { return; }
    current = i;
    var all = strokes(row);
    light(row);
    draw(all);
    frame(all);
    describe(row);
    list.value = String(i);
    map.setAttribute("data-flow", row.key);
    statusLine.textContent = "Showing flow " + row.key + ": " + row.verdict + ", " + row.branches.length +
      " branch" + (row.branches.length === 1 ? "" : "es") + ". " + row.title;
  }
  function showKey(key) {
    for (var i = 0; i < data.rows.length; i++) {
      if (data.rows[i].key === key) {
        boxes.forEach(function (b) { if (b.value === data.rows[i].verdict) { b.checked = true; } });
        filter.value = "";
        current = i;
        fill();
        show(i);
        return true;
      }
    }
    return false;
  }

  list.addEventListener("change", function () { if (list.value !== "") { show(Number(list.value)); } });
  filter.addEventListener("input", fill);
  boxes.forEach(function (b) { b.addEventListener("change", fill); });
  if (zoom) { zoom.addEventListener("change", function () { if (current >= 0) { frame(strokes(data.rows[current])); } }); }
  Array.prototype.forEach.call(document.querySelectorAll("button.show"), function (btn) {
    btn.addEventListener("click", function () {
      var key = data.groups[Number(btn.getAttribute("data-group"))];
      if (key !== undefined && showKey(key)) {
        document.getElementById("map-section").scrollIntoView();
        details.focus();
      }
    });
  });
  window.erplanReport = { show: show, showKey: showKey, strokes: function (i) { return strokes(data.rows[i]); } };
  fill();
  if (data.rows.length) { show(0); }
}());
