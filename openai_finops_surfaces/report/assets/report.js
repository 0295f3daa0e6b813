// Renders the report from the embedded JSON. Tables and figures are plain DOM; every chart is a
// Vega-Lite spec drawn by vega-embed (inlined before this script by html.py, so nothing is fetched).
(function () {
  "use strict";
  var errors = [];
  function fail(message) {
    errors.push(String(message));
    document.body.setAttribute("data-errors", errors.join(" | "));
  }
  window.addEventListener("error", function (event) { fail(event.message); });

  var DATA = JSON.parse(document.getElementById("report-data").textContent);
  var PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf"];
  var OTHER_COLOR = "#c7ccd4";
  var SEVERITIES = ["high", "medium", "low"];
  var SEVERITY_COLORS = ["#b30000", "#e6550d", "#fdae6b"];
  var TOP_SERIES = 8;
  var DATE_AXIS = { title: null, format: "%b %-d, %Y", labelAngle: 0, labelOverlap: true, grid: false };

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
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

  function count(value) { return groupDigits(String(Math.round(value))); }

  // Dollars for a chart: the exact cents of the micro-dollars, as a number Vega formats.
  function usd(micros) { return Math.round(micros / 10000) / 100; }

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

  function utc(day) { return Date.parse(day + "T00:00:00Z"); }

  // A day for a tooltip, as text: Vega would parse the x field itself into a timestamp.
  var WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  function when(day) { return day + " (" + WEEKDAYS[new Date(utc(day)).getUTCDay()] + ")"; }

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

  function rangeText() {
    return filter.start && filter.end ? " between " + filter.start + " and " + filter.end : "";
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
      empty.appendChild(el("td", { class: "empty", colspan: String(header.length) }, "Nothing" + rangeText() + "."));
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

  // ---- charts --------------------------------------------------------------------------------
  var pending = [];

  function empty(container, text) {
    container.textContent = "";
    container.appendChild(el("p", { class: "empty" }, text));
  }

  // Draw a Vega-Lite spec into the container; `micros` (the exact total the chart holds) goes on
  // the container as data-micros, so a test can compare what is drawn with the marts.
  function chart(container, spec, micros) {
    container.textContent = "";
    if (micros !== undefined) container.setAttribute("data-micros", String(micros));
    spec.$schema = "https://vega.github.io/schema/vega-lite/v6.json";
    spec.config = Object.assign({ font: "-apple-system, Segoe UI, Roboto, Arial, sans-serif",
      view: { stroke: null }, axis: { labelColor: "#5b6575", titleColor: "#5b6575", gridColor: "#e3e7ee" },
      legend: { labelColor: "#5b6575", labelLimit: 280, symbolType: "square" } }, spec.config || {});
    pending.push(window.vegaEmbed(container, spec, { renderer: "svg", actions: false }).catch(function (error) {
      fail(error && error.message ? error.message : error);
      throw error;
    }));
  }

  // A legend that toggles series: click one (shift-click more) to highlight it, double-click to reset.
  var LEGEND_PICK = { name: "pick", select: { type: "point", fields: ["series"] }, bind: "legend" };
  var PICKED_OPACITY = { condition: { param: "pick", value: 1 }, value: 0.15 };

  // rows [{day, key, micros}] to stacked bands of the top keys plus "Other", largest at the bottom.
  // Stacked here rather than by Vega so the hover points sit exactly on each band's top edge.
  function stackedBands(rows, labelOf) {
    var totals = new Map();
    rows.forEach(function (r) { sumInto(totals, r.key, r.micros); });
    var keys = topKeys(totals, TOP_SERIES);
    var others = totals.size - keys.length;
    var names = keys.map(labelOf);
    if (others > 0) names.push("Other (" + others + ")");
    var byDay = new Map();
    rows.forEach(function (r) {
      var rank = keys.indexOf(r.key);
      if (rank < 0) rank = keys.length;
      if (!byDay.has(r.day)) byDay.set(r.day, names.map(function () { return 0; }));
      byDay.get(r.day)[rank] += r.micros;
    });
    var bands = [], dayTotals = {};
    byDay.forEach(function (values, day) {
      var bottom = 0;
      values.forEach(function (micros, rank) {
        bands.push({ day: day, when: when(day), series: names[rank], rank: rank, usd: usd(micros),
          bottom: usd(bottom), top: usd(bottom + micros) });
        bottom += micros;
      });
      dayTotals[day] = bottom;
    });
    var colors = names.map(function (_, i) { return i < keys.length ? PALETTE[i % PALETTE.length] : OTHER_COLOR; });
    return { bands: bands, names: names, colors: colors, dayTotals: dayTotals };
  }

  function stackedAreaSpec(stack, days, title, extraLayers) {
    var x = { field: "day", type: "temporal", scale: { type: "utc", domain: [utc(days[0]), utc(days[days.length - 1])] },
      axis: DATE_AXIS };
    return {
      width: "container", height: 300,
      layer: [
        { name: "bands", data: { name: "bands", values: stack.bands }, params: [LEGEND_PICK], mark: { type: "area", line: false },
          encoding: {
            x: x, y: { field: "top", type: "quantitative", title: "Billed per day", axis: { format: "$,.0f" } },
            y2: { field: "bottom" },
            color: { field: "series", type: "nominal", title: null, sort: stack.names,
              scale: { domain: stack.names, range: stack.colors }, legend: { orient: "bottom", columns: 3 } },
            detail: { field: "rank" }, opacity: PICKED_OPACITY } },
        { name: "hover", data: { name: "hover", values: stack.bands }, mark: { type: "point", filled: true, size: 70, opacity: 0 },
          encoding: { x: x, y: { field: "top", type: "quantitative" },
            tooltip: [{ field: "series", title: title }, { field: "when", title: "Day" },
              { field: "usd", type: "quantitative", title: "Billed", format: "$,.2f" }] } },
      ].concat(extraLayers || []),
    };
  }

  function anomalyTooltip() {
    return [{ field: "where", title: "Anomaly" }, { field: "when", title: "Day" }, { field: "what", title: "Type" },
      { field: "actual", title: "Actual" }, { field: "expected", title: "Expected" }, { field: "impact", title: "Impact" },
      { field: "drivers", title: "Drivers" }];
  }

  function anomalyRow(a, where, y) {
    return { day: a.day, when: when(a.day), y: y, where: where, what: a.type + " (" + a.severity + ")", severity: a.severity,
      actual: money(a.actual), expected: money(a.expected), impact: signedMoney(a.impact), drivers: a.drivers || "–" };
  }

  function renderSpend(days, anomalies) {
    var total = 0;
    var rows = DATA.spend.filter(function (r) { return keep(r[0], r[1]); });
    rows.forEach(function (r) { total += r[4]; });
    $("total-spend").textContent = money(total);
    $("total-spend").setAttribute("data-micros", String(total));
    $("total-days").textContent = String(days.length);
    $("daily-average").textContent = money(days.length ? total / days.length : 0);
    if (!rows.length) {
      var text = DATA.first_day ? "No spend" + rangeText() + "." : "No spend loaded yet: run python -m loader, then dbt build.";
      empty($("chart-projects"), text);
      empty($("chart-models"), text);
      return;
    }
    var byProject = stackedBands(rows.map(function (r) { return { day: r[1], key: r[2], micros: r[4] }; }), projectName);
    var markers = anomalies.filter(function (a) { return a.level === "project"; }).map(function (a) {
      return anomalyRow(a, a.series || projectName(a.project), usd(byProject.dayTotals[a.day] || 0));
    });
    var orgLines = anomalies.filter(function (a) { return a.level === "org"; }).map(function (a) {
      return anomalyRow(a, a.series || orgName(a.org), 0);
    });
    var x = { field: "day", type: "temporal" };
    var severity = { field: "severity", type: "nominal", scale: { domain: SEVERITIES, range: SEVERITY_COLORS },
      title: "Anomaly severity", legend: { orient: "right" } };
    var layers = [];
    if (orgLines.length) {
      layers.push({ name: "org_anomalies", data: { name: "org_anomalies", values: orgLines },
        mark: { type: "rule", strokeDash: [4, 3], strokeWidth: 1.5 },
        encoding: { x: x, stroke: severity, tooltip: anomalyTooltip() } });
    }
    if (markers.length) {
      layers.push({ name: "project_anomalies", data: { name: "project_anomalies", values: markers },
        mark: { type: "point", filled: true, size: 110, opacity: 1, stroke: "#111", strokeWidth: 1, shape: "circle" },
        encoding: { x: x, y: { field: "y", type: "quantitative" }, fill: severity, tooltip: anomalyTooltip() } });
    }
    var projects = stackedAreaSpec(byProject, days, "Project", layers);
    if (layers.length) projects.resolve = { scale: { stroke: "shared" } };
    chart($("chart-projects"), projects, total);
    var byModel = stackedBands(rows.map(function (r) { return { day: r[1], key: r[3], micros: r[4] }; }),
      function (k) { return k; });
    chart($("chart-models"), stackedAreaSpec(byModel, days, "Model or line item"), total);
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
    if (!end) {
      $("movers-note").textContent = "No complete days loaded yet.";
      fillTable($("movers-projects"), ["Project", "Previous week", "Last week", "Change"], [], [false, true, true, true]);
      fillTable($("movers-models"), ["Model", "Previous week", "Last week", "Change"], [], [false, true, true, true]);
      return;
    }
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

  // ---- budgets -------------------------------------------------------------------------------
  var BUDGET_SERIES = ["Actual", "Forecast", "Straight-line budget"];
  var BUDGET_COLORS = [PALETTE[0], PALETTE[1], "#9aa3ae"];

  function budgetSummary(b) {
    var text = " " + money(b.actual) + " of " + money(b.amount) + " spent to " + b.as_of + "; forecast " +
      (b.forecast == null ? "n/a" : money(b.forecast)) + " (" + b.method + ")";
    if (b.forecast != null && b.forecast_low != null) {
      text += ", likely " + money(b.forecast_low) + " to " + money(b.forecast_high) + " (±" + b.error_pct +
        "%, the method's error backtested on " + b.backtest_periods + " completed " + b.period +
        (b.backtest_periods === 1 ? "" : "s") + ")";
    } else if (b.forecast != null) {
      text += "; no band: no completed " + b.period + " to backtest the forecast on yet";
    }
    return text;
  }

  function budgetSpec(b) {
    var first = b.start, last = b.end;
    var x = { field: "day", type: "temporal", scale: { type: "utc", domain: [utc(first), utc(last)] },
      axis: Object.assign({ tickCount: 4 }, DATE_AXIS) };
    var lines = [], band = [];
    b.days.forEach(function (d) {
      lines.push({ day: d[0], when: when(d[0]), series: "Straight-line budget", usd: usd(d[1]), amount: money(d[1]) });
      if (d[2] != null) {
        lines.push({ day: d[0], when: when(d[0]), series: "Actual", usd: usd(d[2]), amount: money(d[2]) });
      }
      // A period without coverage has no forecast in the status: its projection is not drawn.
      if (b.forecast != null && d[3] != null && b.as_of && d[0] >= b.as_of) {
        lines.push({ day: d[0], when: when(d[0]), series: "Forecast", usd: usd(d[3]), amount: money(d[3]) });
        if (b.forecast_low != null && d[4] != null && d[5] != null) {
          band.push({ day: d[0], when: when(d[0]), low: usd(d[4]), high: usd(d[5]), range: money(d[4]) + " to " + money(d[5]) });
        }
      }
    });
    // The daily mart starts at the organization's first day with spend; loaded days before it had
    // none: actual spend is drawn from zero there, and the straight line from the period's start.
    var firstRow = b.days.length ? b.days[0][0] : null;
    var loadedFrom = b.first_loaded && b.first_loaded > first ? b.first_loaded : first;
    if (firstRow && firstRow > first) {
      var periodDays = daysBetween(first, last).length;
      lines.unshift({ day: first, when: when(first), series: "Straight-line budget",
        usd: usd(b.amount / periodDays), amount: money(b.amount / periodDays) });
    }
    if (firstRow && b.first_loaded && firstRow > loadedFrom) {
      lines.unshift({ day: loadedFrom, when: when(loadedFrom), series: "Actual", usd: 0, amount: money(0) });
    }
    var layers = [];
    var missing = [];
    if (loadedFrom > first) missing.push({ from: first, until: loadedFrom, to: addDays(loadedFrom, -1) });
    if (missing.length) {
      missing.forEach(function (m) { m.label = "Not loaded: " + m.from + " to " + m.to; });
      layers.push({ name: "not_loaded", data: { name: "not_loaded", values: missing },
        mark: { type: "rect", color: "#e9ecf1" },
        encoding: { x: { field: "from", type: "temporal" }, x2: { field: "until" }, tooltip: { field: "label" } } });
      layers.push({ name: "not_loaded_label", data: { name: "not_loaded_label", values: missing },
        mark: { type: "text", align: "left", baseline: "top", dx: 3, dy: 3, y: 0, color: "#5b6575", fontSize: 11 },
        encoding: { x: { field: "from", type: "temporal" }, text: { value: "not loaded" } } });
    }
    if (band.length) {
      layers.push({ name: "forecast_band", data: { name: "forecast_band", values: band }, mark: { type: "area", color: PALETTE[1], opacity: 0.18 },
        encoding: { x: x, y: { field: "low", type: "quantitative" }, y2: { field: "high" },
          tooltip: [{ field: "when", title: "Day" }, { field: "range", title: "Forecast band" }] } });
    }
    layers.push({ name: "burn_down", data: { name: "burn_down", values: lines }, params: [LEGEND_PICK],
      mark: { type: "line", strokeWidth: 2.2 },
      encoding: { x: x, y: { field: "usd", type: "quantitative", title: null, axis: { format: "$,.0f" } },
        color: { field: "series", type: "nominal", title: null, scale: { domain: BUDGET_SERIES, range: BUDGET_COLORS },
          legend: { orient: "bottom", columns: 3 } },
        strokeDash: { field: "series", type: "nominal", scale: { domain: BUDGET_SERIES, range: [[1, 0], [6, 4], [4, 3]] },
          title: null },
        opacity: PICKED_OPACITY,
        tooltip: [{ field: "series", title: "Line" }, { field: "when", title: "Day" }, { field: "amount", title: "Cumulative" }] } });
    var rules = [{ usd: usd(b.amount), label: "budget " + money(b.amount), kind: "amount" }];
    (b.threshold_lines || []).forEach(function (t) {
      if (t[0] !== 100) rules.push({ usd: usd(t[1]), label: t[0] + "% " + money(t[1]), kind: "threshold" });
    });
    layers.push({ name: "limits", data: { name: "limits", values: rules },
      mark: { type: "rule", strokeWidth: 1.2 },
      encoding: { y: { field: "usd", type: "quantitative" },
        color: { condition: { test: "datum.kind === 'amount'", value: "#d62728" }, value: "#8c96a3" },
        strokeDash: { condition: { test: "datum.kind === 'amount'", value: [1, 0] }, value: [2, 3] },
        tooltip: { field: "label" } } });
    layers.push({ name: "limit_labels", data: { name: "limit_labels", values: rules },
      mark: { type: "text", align: "right", baseline: "bottom", dy: -2, fontSize: 10, color: "#5b6575" },
      encoding: { y: { field: "usd", type: "quantitative" }, x: { value: { expr: "width" } }, text: { field: "label" } } });
    return { width: "container", height: 190, layer: layers };
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
      line.appendChild(document.createTextNode(budgetSummary(b)));
      card.appendChild(line);
      if (b.status_reason) card.appendChild(el("p", { class: "coverage" }, b.status_reason));
      var drawing = el("div", { class: "budget-chart" });
      card.appendChild(drawing);
      if (b.thresholds) card.appendChild(el("p", { class: "note" }, "Thresholds crossed: " + b.thresholds));
      box.appendChild(card);
      if (b.days.length) chart(drawing, budgetSpec(b), b.actual);
      else empty(drawing, "No days of this " + b.period + " are loaded.");
    });
  }

  // ---- tokens, requests, prices --------------------------------------------------------------
  // items [{label, value, text}] as horizontal bars, largest first, the exact value as a label.
  // items [{label, value, text}] as horizontal bars, largest first, the exact value as a label;
  // axisLabel is a Vega expression of datum.value.
  function barSpec(items, color, title, axisLabel) {
    var max = Math.max.apply(null, items.map(function (item) { return item.value; }));
    return {
      width: "container", height: 22 * items.length,
      data: { name: "bars", values: items },
      encoding: { y: { field: "label", type: "nominal", sort: null, title: null, axis: { labelLimit: 200 } },
        // room on the right for the value labels
        x: { field: "value", type: "quantitative", title: title, scale: { domain: [0, max * 1.45], nice: false },
          axis: { labelExpr: axisLabel, tickCount: 4 } },
        tooltip: [{ field: "label", title: title }, { field: "text", title: "Total" }] },
      layer: [{ mark: { type: "bar", color: color } },
        { mark: { type: "text", align: "left", dx: 4, color: "#5b6575" }, encoding: { text: { field: "text" } } }],
    };
  }

  var COUNT_AXIS = "replace(format(datum.value, '~s'), 'G', 'B')";
  var DOLLAR_AXIS = "format(datum.value, '$,.2f')";

  function bars(container, items, color, title, axisLabel) {
    if (!items.length) empty(container, "No " + title.toLowerCase() + rangeText() + ".");
    else chart(container, barSpec(items, color, title, axisLabel));
  }

  function renderEndpoints() {
    var totals = new Map();
    DATA.endpoints.forEach(function (r) {
      if (!keep(r[0], r[1])) return;
      var t = totals.get(r[2]) || [0, 0, 0, 0];
      for (var i = 0; i < 4; i++) t[i] += r[3 + i];
      totals.set(r[2], t);
    });
    function tokens(n) { return totals.get(n)[0] + totals.get(n)[1]; }
    function requests(n) { return totals.get(n)[2] + totals.get(n)[3]; }
    var names = Array.from(totals.keys()).sort(function (a, b) { return tokens(b) - tokens(a) || requests(b) - requests(a); });
    bars($("chart-endpoints"), names.filter(function (n) { return tokens(n) > 0; }).map(function (n) {
      return { label: n, value: tokens(n), text: count(tokens(n)) + " tokens" };
    }), PALETTE[2], "Tokens", COUNT_AXIS);
    bars($("chart-endpoint-requests"), names.filter(function (n) { return requests(n) > 0; }).sort(function (a, b) {
      return requests(b) - requests(a);
    }).map(function (n) { return { label: n, value: requests(n), text: count(requests(n)) + " requests" }; }),
    PALETTE[9], "Requests", COUNT_AXIS);
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
    // micro-dollars per token = dollars per million tokens
    var models = Array.from(cost.keys()).filter(function (m) { return tokens.get(m) > 0; }).map(function (m) {
      return { label: m, value: cost.get(m) / tokens.get(m), cost: cost.get(m), tokens: tokens.get(m) };
    }).sort(function (a, b) { return b.value - a.value; });
    bars($("chart-cpm"), models.map(function (m) {
      return { label: m.label, value: m.value, text: "$" + m.value.toFixed(2) };
    }), PALETTE[4], "$ per 1M tokens", DOLLAR_AXIS);
    fillTable($("cpm"), ["Model", "Billed", "Tokens", "$ per 1M tokens"], models.map(function (m) {
      return [m.label, money(m.cost), count(m.tokens), "$" + m.value.toFixed(4)];
    }), [false, true, true, true]);
  }

  // The headline is the unexplained difference: billed - usage x list price on reconcilable lines,
  // plus what was billed without usage or a list price where there should be one (the mart's
  // reconciliation_class); explained spend (fine-tuning training, storage, evals) is no discrepancy.
  function renderReconciliation(days) {
    var byDay = new Map(), byStatus = new Map(), totalBilled = 0, totalUsage = 0;
    var byClass = { reconcilable: 0, explained: 0, usage_not_loaded: 0, unexplained: 0 }, reconcilableGap = 0;
    DATA.reconciliation.forEach(function (r) {
      if (!keep(r[0], r[1])) return;
      var day = byDay.get(r[1]) || [0, 0];
      day[0] += r[3];
      day[1] += r[4];
      byDay.set(r[1], day);
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
    if (!byDay.size) {
      empty($("chart-recon"), "No reconciliation" + rangeText() + ".");
    } else {
      var lines = [];
      byDay.forEach(function (v, day) {
        lines.push({ day: day, when: when(day), series: "Billed (costs endpoint)", usd: usd(v[0]), amount: money(v[0]) });
        lines.push({ day: day, when: when(day), series: "Usage × list price", usd: usd(v[1]), amount: money(v[1]) });
      });
      var names = ["Billed (costs endpoint)", "Usage × list price"];
      chart($("chart-recon"), {
        width: "container", height: 240, data: { name: "reconciliation", values: lines }, params: [LEGEND_PICK],
        mark: { type: "line", strokeWidth: 2 },
        encoding: {
          x: { field: "day", type: "temporal", scale: { type: "utc", domain: [utc(days[0]), utc(days[days.length - 1])] },
            axis: DATE_AXIS },
          y: { field: "usd", type: "quantitative", title: "Per day", axis: { format: "$,.0f" } },
          color: { field: "series", type: "nominal", title: null, scale: { domain: names, range: PALETTE.slice(0, 2) },
            legend: { orient: "bottom" } },
          strokeDash: { field: "series", type: "nominal", scale: { domain: names, range: [[1, 0], [6, 4]] }, title: null },
          opacity: PICKED_OPACITY,
          tooltip: [{ field: "series", title: "Line" }, { field: "when", title: "Day" }, { field: "amount", title: "Amount" }],
        },
      }, totalBilled);
    }
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

  // Shown only when the union holds other providers than OpenAI; in OpenAI's billing currency.
  function renderWholeBill(days) {
    var section = $("whole-bill");
    var currency = DATA.whole_bill.filter(function (r) { return r[4]; }).map(function (r) { return r[3]; })[0] || "USD";
    var rows = DATA.whole_bill.filter(function (r) {
      return r[0] >= filter.start && r[0] <= filter.end && r[3] === currency;
    });
    if (!rows.some(function (r) { return !r[4]; })) {
      section.hidden = true;
      return;
    }
    section.hidden = false;
    var total = 0, openai = 0, byProvider = new Map();
    rows.forEach(function (r) {
      total += r[5];
      if (r[4]) openai += r[5];
      sumInto(byProvider, r[1] + " / " + r[2], r[5]);
    });
    $("openai-share").textContent = total ? (100 * openai / total).toFixed(2) + "%" : "–";
    $("whole-bill-total").textContent = money(total);
    var stack = stackedBands(rows.map(function (r) { return { day: r[0], key: r[1], micros: r[5] }; }),
      function (k) { return k; });
    chart($("chart-providers"), stackedAreaSpec(stack, days, "Service provider"), total);
    fillTable($("providers"), ["Service provider / category", "Billed", "Share"],
      topKeys(byProvider, byProvider.size).map(function (key) {
        var micros = byProvider.get(key);
        return [key, money(micros), total ? (100 * micros / total).toFixed(2) + "%" : "–"];
      }), [false, true, true]);
  }

  function render() {
    document.body.setAttribute("data-rendered", "false");
    pending = [];
    var days = filter.start && filter.end ? daysBetween(filter.start, filter.end) : [];
    var anomalies = DATA.anomalies.filter(function (a) { return keep(a.org, a.day); });
    renderSpend(days, anomalies);
    renderAnomalies(anomalies);
    renderMovers();
    renderBudgets();
    renderEndpoints();
    renderCostPerMillion();
    renderReconciliation(days);
    renderWholeBill(days);
    var drawn = pending;
    Promise.all(drawn).then(function () {
      if (drawn === pending) document.body.setAttribute("data-rendered", "true");
    }, function () { /* fail() recorded it; data-rendered stays false */ });
  }

  if (typeof window.vegaEmbed !== "function") {
    fail("the charting library (vega-embed) is missing from this file");
    return;
  }
  readHash();
  setupFilters();
  render();
})();
