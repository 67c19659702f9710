// The routine page's player: chapters that seek, the spoken line in large text, time left.
(function () {
  "use strict";

  var audio = document.getElementById("audio");
  var data = document.getElementById("timeline");
  if (!audio || !data) {
    return;
  }
  var timeline = JSON.parse(data.textContent);
  var chapters = timeline.chapters;
  var periods = timeline.periods;
  var instruction = document.getElementById("instruction");
  var chapterNow = document.getElementById("chapter-now");
  var countdown = document.getElementById("countdown");
  var countdownLabel = document.getElementById("countdown-label");
  var countdownValue = document.getElementById("countdown-value");
  var countdownBar = document.getElementById("countdown-bar");
  var play = document.getElementById("play");
  var chapterButtons = Array.prototype.slice.call(document.querySelectorAll(".chapter"));
  var track = audio.textTracks && audio.textTracks[0];
  var idle = instruction.getAttribute("data-idle") || "";
  var SKIP_SECONDS = 10;

  if (track) {
    track.mode = "hidden"; // cues load and fire cuechange, and nothing draws over the page
  }

  // The text of a cue, with its WebVTT escapes (&amp; ...) decoded, never parsed as markup.
  function cueText(cue) {
    var fragment = cue.getCueAsHTML ? cue.getCueAsHTML() : null;
    return fragment ? fragment.textContent : cue.text;
  }

  // The last spoken line that has started by `seconds`: it stays on screen through the hold.
  function lineAt(seconds) {
    var cues = track && track.cues;
    var current = null;
    if (!cues) {
      return null;
    }
    for (var i = 0; i < cues.length; i += 1) {
      if (cues[i].startTime <= seconds + 0.001) {
        current = cues[i];
      } else {
        break;
      }
    }
    return current;
  }

  // The index of the last span that has started by `ms` (-1 before the first).
  function lastStarted(spans, ms) {
    for (var i = spans.length - 1; i >= 0; i -= 1) {
      if (spans[i].start_ms <= ms) {
        return i;
      }
    }
    return -1;
  }

  function showInstruction() {
    var cue = lineAt(audio.currentTime);
    var text = cue ? cueText(cue) : idle;
    if (instruction.textContent !== text) {
      instruction.textContent = text;
    }
  }

  function showChapter(ms) {
    var index = lastStarted(chapters, ms);
    chapterButtons.forEach(function (button, i) {
      if (i === index) {
        button.setAttribute("aria-current", "true");
      } else {
        button.removeAttribute("aria-current");
      }
    });
    var title = index >= 0 ? chapters[index].title : "";
    if (chapterNow.textContent !== title) {
      chapterNow.textContent = title;
    }
  }

  function showCountdown(ms) {
    var index = lastStarted(periods, ms);
    if (index < 0 || ms >= periods[index].end_ms) {
      countdown.hidden = true;
      return;
    }
    var period = periods[index];
    countdown.hidden = false;
    countdownLabel.textContent = period.label;
    countdownValue.textContent = String(Math.ceil((period.end_ms - ms) / 1000));
    var done = (ms - period.start_ms) / (period.end_ms - period.start_ms);
    countdownBar.style.width = (100 * done).toFixed(1) + "%";
  }

  function update() {
    var ms = audio.currentTime * 1000;
    showInstruction();
    showChapter(ms);
    showCountdown(ms);
  }

  function start() {
    var playing = audio.play();
    if (playing && playing.catch) {
      playing.catch(function () {}); // the browser may wait for a tap; the controls stay usable
    }
  }

  function seek(seconds) {
    var end = isFinite(audio.duration) ? audio.duration : timeline.duration_ms / 1000;
    audio.currentTime = Math.max(0, Math.min(seconds, end));
    update();
  }

  function toggle() {
    if (audio.paused) {
      start();
    } else {
      audio.pause();
    }
  }

  function skipChapter(step) {
    var ms = audio.currentTime * 1000;
    var index = lastStarted(chapters, ms);
    // "Previous" within the first seconds of a chapter goes to the one before it.
    if (step < 0 && index >= 0 && ms - chapters[index].start_ms > 3000) {
      step = 0;
    }
    var target = Math.max(0, Math.min(chapters.length - 1, index + step));
    if (chapters.length) {
      seek(chapters[target].start_ms / 1000);
    }
  }

  function showPlaying() {
    var playing = !audio.paused;
    play.classList.toggle("playing", playing);
    play.setAttribute("aria-label", playing ? "Pause" : "Play");
  }

  chapterButtons.forEach(function (button) {
    button.addEventListener("click", function () {
      seek(Number(button.getAttribute("data-start")) / 1000);
      start();
    });
  });
  play.addEventListener("click", toggle);
  document.getElementById("back").addEventListener("click", function () {
    seek(audio.currentTime - SKIP_SECONDS);
  });
  document.getElementById("forward").addEventListener("click", function () {
    seek(audio.currentTime + SKIP_SECONDS);
  });
  document.getElementById("previous").addEventListener("click", function () {
    skipChapter(-1);
  });
  document.getElementById("next").addEventListener("click", function () {
    skipChapter(1);
  });

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    var target = event.target;
    var inControl = target.closest && target.closest("button, a, input, select, textarea, audio");
    var key = event.key;
    if (key === " " || key === "k" || key === "K") {
      if (inControl && key === " ") {
        return; // Space presses the focused button or link
      }
      toggle();
    } else if ((key === "ArrowLeft" || key === "j") && !inControl) {
      seek(audio.currentTime - SKIP_SECONDS);
    } else if ((key === "ArrowRight" || key === "l") && !inControl) {
      seek(audio.currentTime + SKIP_SECONDS);
    } else if (key === "n" || key === "N") {
      skipChapter(1);
    } else if (key === "p" || key === "P") {
      skipChapter(-1);
    } else {
      return;
    }
    event.preventDefault();
  });

  if (track) {
    track.addEventListener("cuechange", showInstruction);
  }
  var element = audio.querySelector("track");
  if (element) {
    element.addEventListener("load", update);
  }
  ["timeupdate", "seeked", "seeking", "loadedmetadata"].forEach(function (name) {
    audio.addEventListener(name, update);
  });
  ["play", "pause", "ended"].forEach(function (name) {
    audio.addEventListener(name, showPlaying);
  });
  update();
})();
