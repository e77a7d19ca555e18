// The one registered method of the workerpool peer: returning a typed array by transfer,
// which a function sent with exec() cannot do.
const workerpool = require('workerpool');

workerpool.worker({
  echo: (a) => new workerpool.Transfer(a, [a.buffer]),
});
