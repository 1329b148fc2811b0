/* The chat page in the widget's frame: suggest help articles first, then a
   person. Messages are text (textContent), never markup. The chat's token
   stays in this browser (localStorage). */
(function () {
  "use strict";
  var lang = document.body.getAttribute("data-lang") || "de";
  var KEY = "kundig-chat-token";
  var token = null;
  var lastId = 0;
  var timer = null;
  var $ = function (id) { return document.getElementById(id); };

  try { token = window.localStorage.getItem(KEY); } catch (e) { token = null; }

  function show(id) {
    ["ask", "suggestions", "start", "conversation", "thanks"].forEach(function (name) {
      $(name).classList.toggle("d-none", name !== id);
    });
  }

  function clearErrors() {
    $("error").classList.add("d-none");
    document.querySelectorAll("[data-for]").forEach(function (el) { el.textContent = ""; });
  }

  function showErrors(answer) {
    if (answer.fields) {
      Object.keys(answer.fields).forEach(function (field) {
        var el = document.querySelector('[data-for="' + field + '"]');
        var text = answer.fields[field].join(" ");
        if (el) { el.textContent = text; } else { $("error").textContent = text; $("error").classList.remove("d-none"); }
      });
    } else if (answer.error) {
      $("error").textContent = answer.error;
      $("error").classList.remove("d-none");
    }
  }

  function post(path, body) {
    body.lang = lang;
    return fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "omit",
    }).then(function (response) {
      return response.json().then(function (answer) {
        answer.ok = response.ok;
        answer.status = response.status;
        return answer;
      });
    });
  }

  function add(messages) {
    messages.forEach(function (m) {
      if (m.id <= lastId) { return; }
      lastId = m.id;
      var bubble = document.createElement("div");
      bubble.className = "msg rounded p-2 " + m.from;
      bubble.setAttribute("data-id", String(m.id));
      bubble.textContent = m.text;
      var meta = document.createElement("div");
      meta.className = "small text-secondary";
      meta.textContent = (m.name ? m.name + " · " : "") + m.at;
      bubble.appendChild(meta);
      $("log").appendChild(bubble);
      $("log").scrollTop = $("log").scrollHeight;
    });
  }

  function poll() {
    if (!token) { return; }
    post("/chat/api/messages/", { token: token, after: String(lastId) }).then(function (answer) {
      if (answer.status === 404) { forget(); return; }
      if (answer.ok) { add(answer.messages); }
    }).catch(function () {});
  }

  function forget() {
    token = null;
    try { window.localStorage.removeItem(KEY); } catch (e) { /* private mode */ }
    if (timer) { window.clearInterval(timer); }
    show("ask");
  }

  function converse() {
    show("conversation");
    poll();
    timer = window.setInterval(poll, 4000);
  }

  $("ask").addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors();
    var question = $("question").value.trim();
    if (!question) { return; }
    $("message").value = question;
    post("/chat/api/suggest/", { question: question }).then(function (answer) {
      var list = $("articles");
      list.textContent = "";
      (answer.articles || []).forEach(function (article) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = article.url;
        link.target = "_blank";
        link.rel = "noopener";
        link.textContent = article.title;
        item.appendChild(link);
        list.appendChild(item);
      });
      show(list.children.length ? "suggestions" : "start");
    });
  });

  $("helped").addEventListener("click", function () { show("thanks"); });
  $("person").addEventListener("click", function () { show("start"); });

  $("start").addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors();
    post("/chat/api/start/", {
      name: $("name").value, email: $("email").value, message: $("message").value,
    }).then(function (answer) {
      if (!answer.ok) { showErrors(answer); return; }
      token = answer.token;
      try { window.localStorage.setItem(KEY, token); } catch (e) { /* private mode */ }
      add(answer.messages);
      converse();
    });
  });

  $("send").addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors();
    var text = $("text").value.trim();
    if (!text || !token) { return; }
    post("/chat/api/messages/", { token: token, text: text, after: String(lastId) }).then(function (answer) {
      if (!answer.ok) { showErrors(answer); return; }
      $("text").value = "";
      add(answer.messages);
    });
  });

  if (token) { converse(); } else { show("ask"); }
})();
