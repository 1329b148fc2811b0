/* Kundig's small client-side helpers: search-as-you-type, bulk selection,
 * lookups, charts, toasts. The server renders everything else. */
(function () {
  "use strict";

  // "/" focuses the global search, as in many web apps.
  document.addEventListener("keydown", function (event) {
    const tag = (event.target.tagName || "").toLowerCase();
    if (event.key === "/" && !["input", "textarea", "select"].includes(tag) && !event.target.isContentEditable) {
      const search = document.getElementById("global-search");
      if (search) { event.preventDefault(); search.focus(); }
    }
  });

  window.quickSearch = function () {
    return {
      open: false,
      index: -1,
      items() { return Array.from(document.querySelectorAll("#search-results a.dropdown-item")); },
      move(step) {
        const items = this.items();
        if (!items.length) { return; }
        this.open = true;
        this.index = (this.index + step + items.length) % items.length;
        items.forEach((el, i) => el.classList.toggle("active", i === this.index));
        items[this.index].scrollIntoView({ block: "nearest" });
      },
      submit(event) {
        const items = this.items();
        if (this.index >= 0 && items[this.index]) {
          event.preventDefault();
          window.location = items[this.index].href;
        }
      },
    };
  };

  // Select rows of a list for a bulk action.
  window.bulkSelect = function () {
    return {
      selected: [],
      allMatching: false,
      toggleAll(event) {
        const boxes = Array.from(this.$root.querySelectorAll("input[data-row-id]"));
        this.selected = event.target.checked ? boxes.map((b) => b.value) : [];
        this.allMatching = false;
      },
      clear() { this.selected = []; this.allMatching = false; },
    };
  };

  // A text input that looks records up and stores the chosen id in a hidden input.
  window.lookup = function (url, initialId, initialLabel) {
    return {
      url: url,
      id: initialId || "",
      label: initialLabel || "",
      query: initialLabel || "",
      results: [],
      open: false,
      async search() {
        if (this.query.trim().length < 2) { this.results = []; this.open = false; return; }
        const response = await fetch(this.url + "?q=" + encodeURIComponent(this.query), { headers: { Accept: "application/json" } });
        if (!response.ok) { return; }
        this.results = (await response.json()).results;
        this.open = true;
      },
      choose(item) { this.id = item.id; this.label = item.label; this.query = item.label; this.open = false; },
      clear() { this.id = ""; this.label = ""; this.query = ""; this.results = []; },
    };
  };

  // "Add another" rows of a Django formset; rows come from formset.empty_form.
  window.formset = function (prefix) {
    return {
      add() {
        const total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
        const index = parseInt(total.value, 10);
        const html = this.$refs.empty.innerHTML.replace(/__prefix__/g, String(index));
        const holder = document.createElement("div");
        holder.innerHTML = html;
        const row = holder.firstElementChild;
        this.$refs.rows.appendChild(row);
        total.value = String(index + 1);
        if (window.htmx) { window.htmx.process(row); }
        const first = row.querySelector("input:not([type=hidden]):not([type=checkbox]), select");
        if (first) { first.focus(); }
      },
    };
  };

  // Only one "primary" tick per list (emails, phones, companies).
  document.addEventListener("change", function (event) {
    const box = event.target;
    if (!box.matches || !box.matches("input[data-primary]") || !box.checked) { return; }
    document.querySelectorAll("input[data-primary='" + box.dataset.primary + "']").forEach(function (other) {
      if (other !== box) { other.checked = false; }
    });
  });

  function initCharts(root) {
    if (!window.echarts) { return; }
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.chartReady) { return; }
      el.dataset.chartReady = "1";
      const option = JSON.parse(el.querySelector("script[type='application/json']").textContent);
      const chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(option);
      new ResizeObserver(() => chart.resize()).observe(el);
    });
  }

  function toast(message, level) {
    const container = document.getElementById("toasts");
    if (!container || !message) { return; }
    const el = document.createElement("div");
    el.className = "toast show align-items-center text-bg-" + (level || "success") + " border-0";
    el.setAttribute("role", "status");
    const body = document.createElement("div");
    body.className = "toast-body";
    body.textContent = message;
    el.appendChild(body);
    container.appendChild(el);
    setTimeout(() => el.remove(), 4000);
  }
  window.kundigToast = toast;

  document.addEventListener("kundig:toast", (event) => toast(event.detail.message, event.detail.level));
  document.addEventListener("DOMContentLoaded", () => initCharts(document));
  document.addEventListener("htmx:afterSettle", (event) => initCharts(event.target));
  document.addEventListener("htmx:responseError", (event) => {
    const status = event.detail.xhr.status;
    toast(document.body.dataset.lang === "de"
      ? "Das hat nicht geklappt (Fehler " + status + ")."
      : "That did not work (error " + status + ").", "danger");
  });
})();
