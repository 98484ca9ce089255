// test/boot: the fallback build's --pre-js (it runs in every realm). On the UI thread it sets
// Module.mainScriptUrlOrBlob to the main script itself, as a page that hosts the runtime JS does, so the
// lean boot cannot apply: one log line, and Workers load the main JS (stock boot).
if (typeof document != 'undefined' && document.currentScript) Module['mainScriptUrlOrBlob'] = document.currentScript.src;
else if (typeof process == 'object' && typeof require == 'function' && require('worker_threads').isMainThread)
  Module['mainScriptUrlOrBlob'] = __filename;
