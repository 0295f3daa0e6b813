// Renders the report from the embedded JSON: every chart is drawn here as inline SVG, no libraries.
(function () {
  "use strict";
  var errors = [];
  window.addEventListener("error", function (event) {
    errors.push(String(event.message));
    document.body.setAttribute("data-errors", errors.join(" | "));
  });

  var DATA = JSON.parse(document.getElementById("report-data").textContent);
  var PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf"];
  var SEVERITY_COLORS = { high: "#b30000", medium: "#e6550d", low: "#fdae6b" };
  var SVG_NS = "http://www.w3.org/2000/svg";
  var TOP_SERIES = 8;

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function groupDigits(text) { return text.replace(/\B(?=(\d{3})+(?!\d))/g, ","); }

  // Micro-dollars (integers, summed exactly) to "$1,234.56".
  function money(micros) {
    var cents = Math.round(Math.abs(micros) / 10000);
    var whole = Math.floor(cents / 100);
    var rest = String(cents % 100).padStart(2, "0");
    return (micros < 0 && cents > 0 ? "-" : "") + "$" + groupDigits(String(whole)) + "." + rest;
  }

  function signedMoney(micros) { return (micros > 0 ? "+" : "") + money(micros); }

  function shortMoney(usd) {
    var abs = Math.abs(usd);
    if (abs >= 1e6) return "$" + (usd / 1e6).toFixed(1) + "M";
    if (abs >= 1e3) return "$" + (usd / 1e3).toFixed(1) + "k";
    if (abs >= 10) return "$" + usd.toFixed(0);
    return "$" + usd.toFixed(2);
  }

  function count(value) { return groupDigits(String(Math.round(value))); }

  function shortCount(value) {
    if (value >= 1e9) return (value / 1e9).toFixed(1) + "B";
    if (value >= 1e6) return (value / 1e6).toFixed(1) + "M";
    if (value >= 1e3) return (value / 1e3).toFixed(1) + "k";
    return String(Math.round(value));
  }

  function addDays(day, n) {
    var date = new Date(day + "T00:00:00Z");
    date.setUTCDate(date.getUTCDate() + n);
    return date.toISOString().slice(0, 10);
  }

  function daysBetween(first, last) {
    var out = [];
    for (var day = first; day <= last; day = addDays(day, 1)) out.push(day);
    return out;
  }

  function orgName(id) {
    for (var i = 0; i < DATA.orgs.length; i++) if (DATA.orgs[i].id === id) return DATA.orgs[i].name;
    return id;
  }

  function projectName(key) {
    var name = DATA.projects[key] || key;
    var org = DATA.project_orgs[key];
    return !filter.org && org && DATA.orgs.length > 1 ? name + " · " + orgName(org) : name;
  }

  // ---- filters -------------------------------------------------------------------------------
  var filter = { org: "", start: DATA.first_day, end: DATA.last_day };

  function readHash() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    if (params.get("org")) filter.org = params.get("org");
    if (params.get("start")) filter.start = params.get("start");
    if (params.get("end")) filter.end = params.get("end");
  }

  function keep(org, day) {
    return (!filter.org || org === filter.org) && day >= filter.start && day <= filter.end;
  }

  function setupFilters() {
    var select = $("f-org");
    DATA.orgs.forEach(function (org) {
      select.appendChild(el("option", { value: org.id }, org.name + " (" + org.id + ")"));
    });
    ["f-start", "f-end"].forEach(function (id) {
      $(id).min = DATA.first_day || "";
      $(id).max = DATA.last_day || "";
    });
    select.value = filter.org;
    $("f-start").value = filter.start || "";
    $("f-end").value = filter.end || "";
    function changed() {
      filter.org = select.value;
      filter.start = $("f-start").value || DATA.first_day;
      filter.end = $("f-end").value || DATA.last_day;
      var hash = "org=" + encodeURIComponent(filter.org) + "&start=" + filter.start + "&end=" + filter.end;
      history.replaceState(null, "", "#" + hash);
      render();
    }
    select.addEventListener("change", changed);
    $("f-start").addEventListener("change", changed);
    $("f-end").addEventListener("change", changed);
    $("f-reset").addEventListener("click", function () {
      $("f-start").value = DATA.first_day;
      $("f-end").value = DATA.last_day;
      changed();
    });
  }

  // ---- small helpers -------------------------------------------------------------------------
  function sumInto(map, key, value) { map.set(key, (map.get(key) || 0) + value); }

  function topKeys(totals, n) {
    return Array.from(totals.keys()).sort(function (a, b) { return totals.get(b) - totals.get(a); }).slice(0, n);
  }

  function fillTable(table, header, rows, numeric) {
    table.textContent = "";
    var head = el("tr");
    header.forEach(function (label, i) { head.appendChild(el("th", numeric[i] ? { class: "num" } : {}, label)); });
    table.appendChild(head);
    if (!rows.length) {
      var empty = el("tr");
      empty.appendChild(el("td", { class: "empty", colspan: String(header.length) }, "Nothing in this range."));
      table.appendChild(empty);
    }
    rows.forEach(function (row) {
      var tr = el("tr");
      row.forEach(function (cell, i) {
        var td = el("td", numeric[i] ? { class: "num" } : {});
        if (cell && typeof cell === "object") {
          td.textContent = cell.text;
          if (cell.className) td.className += " " + cell.className;
          if (cell.id) td.id = cell.id;
        } else {
          td.textContent = cell;
        }
        tr.appendChild(td);
      });
      table.appendChild(tr);
    });
  }

  function legend(container, items) {
    var box = el("div", { class: "legend" });
    items.forEach(function (item) {
      var span = el("span");
      var swatch = el("i");
      swatch.style.background = item.color;
      span.appendChild(swatch);
      span.appendChild(document.createTextNode(item.label));
      box.appendChild(span);
    });
    container.appendChild(box);
  }

  // ---- charts --------------------------------------------------------------------------------
  // A round axis step (1, 2 or 5 times a power of ten) giving about four gridlines.
  function niceStep(max) {
    var raw = max / 4, power = Math.pow(10, Math.floor(Math.log10(raw))), fraction = raw / power;
    return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
  }

  // series: [{label, color, values: {day: usd}, dashed}], days: x axis; markers: [{day, value, color, title}]
  function lineChart(container, days, series, options) {
    options = options || {};
    container.textContent = "";
    if (!days.length || !series.length) {
      container.appendChild(el("p", { class: "empty" }, "No data in this range."));
      return;
    }
    var width = options.width || 1180, height = options.height || 300;
    var left = 64, right = 14, top = 12, bottom = 28;
    var max = 0;
    series.forEach(function (s) {
      days.forEach(function (day) { if (s.values[day] != null) max = Math.max(max, s.values[day]); });
    });
    (options.markers || []).forEach(function (m) { max = Math.max(max, m.value); });
    (options.hlines || []).forEach(function (h) { max = Math.max(max, h.value); });
    var tick = niceStep(max > 0 ? max : 1);
    max = Math.ceil((max > 0 ? max * 1.02 : 1) / tick) * tick;
    var x = function (i) { return left + (days.length === 1 ? 0 : (i * (width - left - right)) / (days.length - 1)); };
    var y = function (v) { return top + (height - top - bottom) * (1 - v / max); };
    var index = {};
    days.forEach(function (day, i) { index[day] = i; });
    var root = svg("svg", { viewBox: "0 0 " + width + " " + height, width: "100%", role: "img" });
    var grid = svg("g", { class: "grid" });
    for (var value = 0; value <= max + tick / 2; value += tick) {
      grid.appendChild(svg("line", { x1: left, x2: width - right, y1: y(value), y2: y(value) }));
      grid.appendChild(svg("text", { x: left - 6, y: y(value) + 4, "text-anchor": "end" },
        (options.format || shortMoney)(value)));
    }
    var step = Math.max(1, Math.ceil(days.length / 10));
    days.forEach(function (day, i) {
      if (i % step === 0) {
        grid.appendChild(svg("text", { x: x(i), y: height - 8, "text-anchor": "middle" }, day.slice(5)));
      }
    });
    root.appendChild(grid);
    (options.vlines || []).forEach(function (v) {
      if (index[v.day] === undefined) return;
      var line = svg("line", { x1: x(index[v.day]), x2: x(index[v.day]), y1: top, y2: height - bottom,
        stroke: v.color, "stroke-width": 1.5, "stroke-dasharray": "4 3" });
      line.appendChild(svg("title", {}, v.title));
      root.appendChild(line);
    });
    (options.hlines || []).forEach(function (h) {
      root.appendChild(svg("line", { x1: left, x2: width - right, y1: y(h.value), y2: y(h.value),
        stroke: h.color, "stroke-width": 1.5 }));
    });
    series.forEach(function (s) {
      var path = "", pen = "M";
      days.forEach(function (day, i) {
        var v = s.values[day];
        if (v == null) { pen = "M"; return; }
        path += pen + x(i).toFixed(1) + "," + y(v).toFixed(1) + " ";
        pen = "L";
      });
      var attrs = { d: path, fill: "none", stroke: s.color, "stroke-width": s.width || 2, "class": "series" };
      if (s.dashed) attrs["stroke-dasharray"] = "6 4";
      var line = svg("path", attrs);
      line.appendChild(svg("title", {}, s.label));
      root.appendChild(line);
    });
    (options.markers || []).forEach(function (m) {
      if (index[m.day] === undefined) return;
      var dot = svg("circle", { cx: x(index[m.day]), cy: y(m.value), r: 6, fill: m.color, stroke: "#111",
        "stroke-width": 1.2, "class": "anomaly-marker" });
      dot.appendChild(svg("title", {}, m.title));
      root.appendChild(dot);
    });
    container.appendChild(root);
    if (!options.noLegend) legend(container, series.map(function (s) { return { label: s.label, color: s.color }; }));
  }

  // items: [{label, value, text}]
  function barChart(container, items, color, format) {
    container.textContent = "";
    if (!items.length) {
      container.appendChild(el("p", { class: "empty" }, "No data in this range."));
      return;
    }
    var width = 560, row = 22, left = 190, right = 90;
    var height = items.length * row + 6;
    var max = Math.max.apply(null, items.map(function (item) { return item.value; })) || 1;
    var root = svg("svg", { viewBox: "0 0 " + width + " " + height, width: "100%", role: "img" });
    items.forEach(function (item, i) {
      var barWidth = Math.max(1, ((width - left - right) * item.value) / max);
      root.appendChild(svg("text", { x: left - 6, y: i * row + 15, "text-anchor": "end" },
        item.label.length > 30 ? item.label.slice(0, 29) + "…" : item.label));
      var bar = svg("rect", { x: left, y: i * row + 4, width: barWidth, height: row - 8, fill: color, "class": "bar" });
      bar.appendChild(svg("title", {}, item.label + ": " + format(item.value)));
      root.appendChild(bar);
      root.appendChild(svg("text", { x: left + barWidth + 5, y: i * row + 15 }, format(item.value)));
    });
    container.appendChild(root);
  }

  // ---- sections ------------------------------------------------------------------------------
  function spendByDay(keyOf) {
    var byKey = new Map(), totals = new Map();
    DATA.spend.forEach(function (r) {
      if (!keep(r[0], r[1])) return;
      var key = keyOf(r);
      if (!byKey.has(key)) byKey.set(key, {});
      var values = byKey.get(key);
      values[r[1]] = (values[r[1]] || 0) + r[4];
      sumInto(totals, key, r[4]);
    });
    return { byKey: byKey, totals: totals };
  }

  function spendSeries(grouped, labelOf, days) {
    var keys = topKeys(grouped.totals, TOP_SERIES);
    var series = keys.map(function (key, i) {
      var values = {};
      days.forEach(function (day) { values[day] = (grouped.byKey.get(key)[day] || 0) / 1e6; });
      return { key: key, label: labelOf(key), color: PALETTE[i % PALETTE.length], values: values };
    });
    if (grouped.totals.size > keys.length) {
      var other = {};
      days.forEach(function (day) { other[day] = 0; });
      grouped.byKey.forEach(function (values, key) {
        if (keys.indexOf(key) >= 0) return;
        days.forEach(function (day) { other[day] += (values[day] || 0) / 1e6; });
      });
      series.push({ key: "(other)", label: "Other (" + (grouped.totals.size - keys.length) + ")",
        color: PALETTE[TOP_SERIES % PALETTE.length], values: other });
    }
    return series;
  }

  function anomalyTitle(a) {
    return a.day + " " + a.type + " (" + a.severity + "): " + money(a.actual) + " vs " + money(a.expected) +
      " expected, " + signedMoney(a.impact) + (a.drivers ? ". Drivers: " + a.drivers : "");
  }

  function renderSpend(days, anomalies) {
    var total = 0;
    DATA.spend.forEach(function (r) { if (keep(r[0], r[1])) total += r[4]; });
    $("total-spend").textContent = money(total);
    $("total-spend").setAttribute("data-micros", String(total));
    $("total-days").textContent = String(days.length);
    $("daily-average").textContent = money(days.length ? total / days.length : 0);

    var byProject = spendByDay(function (r) { return r[2]; });
    var markers = anomalies.filter(function (a) { return a.level === "project"; }).map(function (a) {
      return { day: a.day, value: a.actual / 1e6, color: SEVERITY_COLORS[a.severity] || "#999",
        title: projectName(a.project) + " " + anomalyTitle(a) };
    });
    var vlines = anomalies.filter(function (a) { return a.level === "org"; }).map(function (a) {
      return { day: a.day, color: SEVERITY_COLORS[a.severity] || "#999", title: orgName(a.org) + " " + anomalyTitle(a) };
    });
    lineChart($("chart-projects"), days, spendSeries(byProject, projectName, days), { markers: markers, vlines: vlines });
    var byModel = spendByDay(function (r) { return r[3]; });
    lineChart($("chart-models"), days, spendSeries(byModel, function (k) { return k; }, days));
  }

  function renderAnomalies(anomalies) {
    $("anomaly-count").textContent = String(anomalies.length);
    var rows = anomalies.slice().reverse().map(function (a) {
      var where = a.series || (a.level === "org" ? orgName(a.org) : projectName(a.project));
      return [a.day, a.level, where, a.type, { text: a.severity, className: "sev-" + a.severity },
        money(a.actual), money(a.expected), { text: signedMoney(a.impact), className: a.impact > 0 ? "up" : "down" },
        a.drivers];
    });
    fillTable($("anomalies"), ["Day", "Level", "Where", "Type", "Severity", "Actual", "Expected", "Impact", "Drivers"],
      rows, [false, false, false, false, false, true, true, true, false]);
  }

  function renderMovers() {
    var end = filter.end < DATA.complete_through ? filter.end : DATA.complete_through;
    var start = addDays(end, -6), previousStart = addDays(end, -13), previousEnd = addDays(end, -7);
    $("movers-note").textContent = "The 7 days " + start + " to " + end + " against the 7 days " + previousStart +
      " to " + previousEnd + ".";
    function movers(keyOf, labelOf) {
      var now = new Map(), before = new Map();
      DATA.spend.forEach(function (r) {
        if (filter.org && r[0] !== filter.org) return;
        if (r[1] >= start && r[1] <= end) sumInto(now, keyOf(r), r[4]);
        else if (r[1] >= previousStart && r[1] <= previousEnd) sumInto(before, keyOf(r), r[4]);
      });
      var keys = new Set(Array.from(now.keys()).concat(Array.from(before.keys())));
      return Array.from(keys).map(function (key) {
        var a = now.get(key) || 0, b = before.get(key) || 0;
        return { label: labelOf(key), now: a, before: b, delta: a - b };
      }).sort(function (p, q) { return Math.abs(q.delta) - Math.abs(p.delta); }).slice(0, 10).map(function (m) {
        var pct = m.before > 0 ? ((100 * m.delta) / m.before).toFixed(1) + "%" : "new";
        return [m.label, money(m.before), money(m.now),
          { text: signedMoney(m.delta) + " (" + pct + ")", className: m.delta > 0 ? "up" : "down" }];
      });
    }
    fillTable($("movers-projects"), ["Project", "Previous week", "Last week", "Change"],
      movers(function (r) { return r[2]; }, projectName), [false, true, true, true]);
    fillTable($("movers-models"), ["Model", "Previous week", "Last week", "Change"],
      movers(function (r) { return r[3]; }, function (k) { return k; }), [false, true, true, true]);
  }

  function renderBudgets() {
    var box = $("budgets");
    box.textContent = "";
    var budgets = DATA.budgets.filter(function (b) { return !filter.org || b.org === filter.org; });
    if (!budgets.length) box.appendChild(el("p", { class: "empty" }, "No budgets for this selection."));
    budgets.forEach(function (b) {
      var card = el("div", { class: "budget", "data-budget": b.id });
      card.appendChild(el("h3", {}, b.name));
      var line = el("div");
      line.appendChild(el("span", { class: "status status-" + b.status.replace(/ /g, "-") }, b.status));
      line.appendChild(document.createTextNode(" " + money(b.actual) + " of " + money(b.amount) + " spent to " +
        b.as_of + "; forecast " + (b.forecast == null ? "n/a" : money(b.forecast)) + " (" + b.method + ")"));
      card.appendChild(line);
      var days = b.days.map(function (d) { return d[0]; });
      var budgetLine = {}, actual = {}, projected = {};
      b.days.forEach(function (d) {
        budgetLine[d[0]] = d[1] / 1e6;
        if (d[2] != null) actual[d[0]] = d[2] / 1e6;
        if (d[3] != null && b.as_of && d[0] >= b.as_of) projected[d[0]] = d[3] / 1e6;
      });
      var chart = el("div");
      card.appendChild(chart);
      lineChart(chart, days, [
        { label: "Straight-line budget", color: "#9aa3ae", values: budgetLine, dashed: true, width: 1.5 },
        { label: "Actual", color: PALETTE[0], values: actual, width: 2.5 },
        { label: "Forecast", color: PALETTE[1], values: projected, dashed: true, width: 2.5 },
      ], { width: 420, height: 200, hlines: [{ value: b.amount / 1e6, color: "#d62728" }] });
      if (b.thresholds) card.appendChild(el("p", { class: "note" }, "Thresholds crossed: " + b.thresholds));
      box.appendChild(card);
    });
  }

  function renderEndpoints() {
    var totals = new Map();
    DATA.endpoints.forEach(function (r) {
      if (!keep(r[0], r[1])) return;
      var t = totals.get(r[2]) || [0, 0, 0, 0];
      for (var i = 0; i < 4; i++) t[i] += r[3 + i];
      totals.set(r[2], t);
    });
    var names = Array.from(totals.keys()).sort(function (a, b) {
      var p = totals.get(a), q = totals.get(b);
      return q[0] + q[1] - (p[0] + p[1]) || q[2] + q[3] - (p[2] + p[3]);
    });
    barChart($("chart-endpoints"), names.filter(function (n) { return totals.get(n)[0] + totals.get(n)[1] > 0; })
      .map(function (n) { return { label: n, value: totals.get(n)[0] + totals.get(n)[1] }; }), PALETTE[2],
    function (v) { return shortCount(v) + " tokens"; });
    var byRequests = names.slice().sort(function (a, b) {
      return totals.get(b)[2] + totals.get(b)[3] - (totals.get(a)[2] + totals.get(a)[3]);
    });
    barChart($("chart-endpoint-requests"), byRequests.filter(function (n) { return totals.get(n)[2] + totals.get(n)[3] > 0; })
      .map(function (n) { return { label: n, value: totals.get(n)[2] + totals.get(n)[3] }; }), PALETTE[9],
    function (v) { return shortCount(v) + " requests"; });
    fillTable($("endpoints"), ["Endpoint", "Input tokens", "Output tokens", "Model requests", "Tool calls"],
      names.map(function (n) {
        var t = totals.get(n);
        return [n, count(t[0]), count(t[1]), count(t[2]), count(t[3])];
      }), [false, true, true, true, true]);
  }

  function renderCostPerMillion() {
    var cost = new Map(), tokens = new Map();
    DATA.tokens.forEach(function (r) {
      if (!keep(r[0], r[1])) return;
      sumInto(cost, r[2], r[3]);
      sumInto(tokens, r[2], r[4]);
    });
    var models = Array.from(cost.keys()).filter(function (m) { return tokens.get(m) > 0; }).map(function (m) {
      return { label: m, value: cost.get(m) / tokens.get(m), cost: cost.get(m), tokens: tokens.get(m) };
    }).sort(function (a, b) { return b.value - a.value; });
    // micro-dollars per token = dollars per million tokens
    barChart($("chart-cpm"), models, PALETTE[4], function (v) { return "$" + v.toFixed(2); });
    fillTable($("cpm"), ["Model", "Billed", "Tokens", "$ per 1M tokens"], models.map(function (m) {
      return [m.label, money(m.cost), count(m.tokens), "$" + m.value.toFixed(4)];
    }), [false, true, true, true]);
  }

  // The headline is the unexplained difference: billed - usage x list price on reconcilable lines,
  // plus what was billed without usage or a list price where there should be one (the mart's
  // reconciliation_class); explained spend (fine-tuning training, storage, evals) is no discrepancy.
  function renderReconciliation(days) {
    var billed = {}, usage = {}, byStatus = new Map(), totalBilled = 0, totalUsage = 0;
    var byClass = { reconcilable: 0, explained: 0, usage_not_loaded: 0, unexplained: 0 }, reconcilableGap = 0;
    days.forEach(function (day) { billed[day] = 0; usage[day] = 0; });
    DATA.reconciliation.forEach(function (r) {
      if (!keep(r[0], r[1])) return;
      billed[r[1]] = (billed[r[1]] || 0) + r[3] / 1e6;
      usage[r[1]] = (usage[r[1]] || 0) + r[4] / 1e6;
      var key = r[5] + " / " + r[2];
      var s = byStatus.get(key) || [0, 0];
      s[0] += r[3];
      s[1] += r[4];
      byStatus.set(key, s);
      totalBilled += r[3];
      totalUsage += r[4];
      byClass[r[5]] = (byClass[r[5]] || 0) + r[3];
      if (r[5] === "reconcilable") reconcilableGap += r[3] - r[4];
    });
    lineChart($("chart-recon"), days, [
      { label: "Billed (costs endpoint)", color: PALETTE[0], values: billed },
      { label: "Usage × list price", color: PALETTE[1], values: usage, dashed: true },
    ]);
    var rows = Array.from(byStatus.keys()).sort().map(function (key) {
      var s = byStatus.get(key);
      return [key, money(s[0]), money(s[1]), signedMoney(s[0] - s[1])];
    });
    rows.push([{ text: "Total" }, { text: money(totalBilled), id: "recon-billed" },
      { text: money(totalUsage), id: "recon-usage" }, { text: signedMoney(totalBilled - totalUsage), id: "recon-gap" }]);
    fillTable($("recon"), ["Class / status", "Billed", "Usage × list price", "Billed − usage × price"], rows,
      [false, true, true, true]);
    var unexplained = reconcilableGap + byClass.unexplained;
    var share = byClass.reconcilable ? " (" + (unexplained * 100 / byClass.reconcilable).toFixed(2) + "%)" : "";
    $("recon-gap-kpi").textContent = signedMoney(unexplained) + share;
    $("recon-split").textContent = "of which " + signedMoney(reconcilableGap) +
      " billed − usage × list price on reconcilable lines and " + money(byClass.unexplained) +
      " billed without usage or list price; beside it: reconcilable " + money(byClass.reconcilable) +
      ", explained (no usage by nature: fine-tuning training, storage, evals) " + money(byClass.explained) +
      ", days without usage loaded " + money(byClass.usage_not_loaded) + ".";
    $("recon-reconcilable").textContent = money(byClass.reconcilable);
    $("recon-explained").textContent = money(byClass.explained);
    $("recon-unexplained").textContent = money(byClass.unexplained);
  }

  function render() {
    var days = filter.start && filter.end ? daysBetween(filter.start, filter.end) : [];
    var anomalies = DATA.anomalies.filter(function (a) { return keep(a.org, a.day); });
    renderSpend(days, anomalies);
    renderAnomalies(anomalies);
    renderMovers();
    renderBudgets();
    renderEndpoints();
    renderCostPerMillion();
    renderReconciliation(days);
    document.body.setAttribute("data-rendered", "true");
  }

  readHash();
  setupFilters();
  render();
})();
