/* Kundig chat: put <script src="{{ base }}/chat/widget.js" data-lang="de" async></script>
   on a page; it adds a chat button that opens Kundig's chat in a frame. */
(function () {
  "use strict";
  var base = "{{ base|escapejs }}";
  var script = document.currentScript || document.querySelector('script[src*="/chat/widget.js"]');
  var lang = (script && script.getAttribute("data-lang")) || document.documentElement.lang || "de";
  lang = lang.slice(0, 2) === "en" ? "en" : "de";
  if (document.getElementById("kundig-chat-button")) { return; }
  var button = document.createElement("button");
  button.id = "kundig-chat-button";
  button.type = "button";
  button.textContent = lang === "en" ? "Chat with us" : "Chat";
  button.setAttribute("aria-expanded", "false");
  button.style.cssText = "position:fixed;right:20px;bottom:20px;z-index:2147483000;" +
    "padding:12px 18px;border:0;border-radius:24px;background:#206bc4;color:#fff;" +
    "font:600 15px/1 system-ui,sans-serif;box-shadow:0 4px 12px rgba(0,0,0,.2);cursor:pointer";
  var frame = document.createElement("iframe");
  frame.id = "kundig-chat-frame";
  frame.title = lang === "en" ? "Chat" : "Chat";
  frame.src = base + "/chat/?lang=" + lang;
  frame.style.cssText = "position:fixed;right:20px;bottom:76px;z-index:2147483000;" +
    "width:min(370px,calc(100vw - 40px));height:min(540px,calc(100vh - 110px));" +
    "border:0;border-radius:12px;box-shadow:0 8px 28px rgba(0,0,0,.25);background:#fff;display:none";
  button.addEventListener("click", function () {
    var open = frame.style.display === "none";
    frame.style.display = open ? "block" : "none";
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
  document.body.appendChild(frame);
  document.body.appendChild(button);
})();
