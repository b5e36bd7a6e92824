// Attempt page: autosave every answer as it is given, keep the page's revision current, show
// a countdown from the server's deadline, and offer keyboard navigation. Without JavaScript the
// page still works as a plain form.
(function () {
  "use strict";
  var form = document.getElementById("attempt-form");
  if (!form) return;
  var gettext = window.gettext || function (s) { return s; };
  var saveUrl = form.dataset.saveUrl;
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var revisionInput = document.getElementById("revision");
  var stateEl = document.getElementById("save-state");
  var queue = Promise.resolve();
  var pending = 0;
  var closed = false;

  function setState(state, text) {
    stateEl.dataset.state = state;
    stateEl.textContent = text;
  }

  function responseOf(fieldset) {
    var type = fieldset.dataset.type;
    var name = "q" + fieldset.dataset.question;
    if (type === "multiple") {
      return { choices: Array.prototype.map.call(
        fieldset.querySelectorAll("input[name='" + name + "']:checked"), function (i) { return i.value; }) };
    }
    if (type === "single" || type === "truefalse") {
      var picked = fieldset.querySelector("input[name='" + name + "']:checked");
      return { choice: picked ? picked.value : null };
    }
    var input = fieldset.querySelector("input[name='" + name + "']");
    return type === "short" ? { text: input.value } : { value: input.value };
  }

  function save(fieldset) {
    if (closed) return queue;
    pending += 1;
    setState("saving", gettext("Saving…"));
    var body = JSON.stringify({ question: fieldset.dataset.question, response: responseOf(fieldset) });
    queue = queue.then(function () {
      return fetch(saveUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: body
      }).then(function (r) {
        return r.json().then(function (data) { return { ok: r.ok, data: data }; });
      }).then(function (res) {
        pending -= 1;
        if (res.ok) {
          revisionInput.value = res.data.revision;
          if (pending === 0) setState("saved", gettext("All answers saved"));
        } else {
          var err = res.data.error || {};
          if (err.code === "deadline_passed" || err.code === "attempt_closed") closed = true;
          setState("error", gettext("Not saved:") + " " + (err.message || ""));
        }
      }).catch(function () {
        pending -= 1;
        setState("error", gettext("Not saved: no connection. Your answer will be sent with the form."));
      });
    });
    return queue;
  }

  var timers = {};
  form.addEventListener("change", function (e) {
    var fs = e.target.closest("fieldset.question");
    if (fs) { clearTimeout(timers[fs.dataset.question]); save(fs); }
  });
  form.addEventListener("input", function (e) {
    if (e.target.type !== "text") return;
    var fs = e.target.closest("fieldset.question");
    if (!fs) return;
    setState("saving", gettext("Unsaved changes…"));
    clearTimeout(timers[fs.dataset.question]);
    timers[fs.dataset.question] = setTimeout(function () { save(fs); }, 700);
  });

  // Hand in only after every autosave has landed, so the page's revision is current.
  var submitting = false;
  form.addEventListener("submit", function (e) {
    if (submitting) return;
    e.preventDefault();
    var submitter = e.submitter;
    if (submitter && submitter.name) {
      var hidden = document.createElement("input");
      hidden.type = "hidden"; hidden.name = submitter.name; hidden.value = submitter.value;
      form.appendChild(hidden);
    }
    Object.keys(timers).forEach(function (k) { clearTimeout(timers[k]); });
    queue.then(function () { submitting = true; form.submit(); });
  });

  // Countdown from the server's remaining seconds (the server judges the deadline).
  var cd = document.getElementById("countdown");
  if (cd) {
    var end = Date.now() + parseInt(cd.dataset.secondsLeft, 10) * 1000;
    var out = document.getElementById("countdown-value");
    var tick = function () {
      var left = Math.max(0, Math.round((end - Date.now()) / 1000));
      var m = Math.floor(left / 60), s = left % 60;
      out.textContent = m + ":" + (s < 10 ? "0" : "") + s;
      cd.classList.toggle("low", left <= 60);
      if (left === 0) {
        clearInterval(timer);
        setState("saving", gettext("Time is up: handing in your answers…"));
        var submit = document.getElementById("submit-attempt");
        if (form.requestSubmit) form.requestSubmit(submit); else submit.click();
      }
    };
    var timer = setInterval(tick, 1000);
    tick();
  }

  // Keyboard: 1-9 pick a choice of the current question; J/K move between questions;
  // Alt+Left/Right go to the previous/next page.
  var questions = Array.prototype.slice.call(form.querySelectorAll("fieldset.question"));
  var current = 0;
  function focusQuestion(i) {
    if (!questions.length) return;
    current = Math.max(0, Math.min(questions.length - 1, i));
    questions.forEach(function (q, k) { q.classList.toggle("current", k === current); });
    questions[current].focus();
  }
  form.addEventListener("focusin", function (e) {
    var fs = e.target.closest("fieldset.question");
    if (fs) current = questions.indexOf(fs);
  });
  document.addEventListener("keydown", function (e) {
    if (e.target.matches("input[type=text], textarea, select")) return;
    if (e.ctrlKey || e.metaKey) return;
    if (e.altKey && (e.key === "ArrowRight" || e.key === "ArrowLeft")) {
      var b = document.getElementById(e.key === "ArrowRight" ? "next-question" : "prev-question");
      if (b) { e.preventDefault(); b.click(); }
      return;
    }
    if (e.altKey) return;
    if (e.key === "j" || e.key === "J") { focusQuestion(current + 1); return; }
    if (e.key === "k" || e.key === "K") { focusQuestion(current - 1); return; }
    if (/^[1-9]$/.test(e.key) && questions[current]) {
      var inputs = questions[current].querySelectorAll("input[type=radio], input[type=checkbox]");
      var input = inputs[parseInt(e.key, 10) - 1];
      if (input) {
        e.preventDefault();
        input.checked = input.type === "radio" ? true : !input.checked;
        input.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }
  });
})();
