// Minimal Socket.IO relay: the comparison baseline for `kefu-bench relay`.
// What cskefu's real-time layer does, minus everything else: sockets join a
// room (one conversation), and a `msg` is relayed to the other sockets in that
// room. Nothing is persisted, there are no sequence numbers and no replay.
//
//   npm install --no-audit --no-fund && PORT=3030 node socketio-relay.js
'use strict';
const { Server } = require('socket.io');

const port = Number(process.env.PORT || 3030);
const io = new Server(port, {
  transports: ['websocket'], // the bench speaks Engine.IO over WebSocket only
  serveClient: false,
  perMessageDeflate: false,
  maxHttpBufferSize: 64 * 1024,
});

io.on('connection', (socket) => {
  // `join` a room (a string); the optional acknowledgement says it is done.
  socket.on('join', (room, ack) => {
    socket.join(String(room));
    if (typeof ack === 'function') ack(true);
  });
  // `msg` {room, text, ts}: to everyone else in the room, then acknowledge.
  socket.on('msg', (m, ack) => {
    if (m && m.room !== undefined) socket.to(String(m.room)).emit('msg', m);
    if (typeof ack === 'function') ack(true);
  });
});

console.log(`socket.io relay listening on :${port}`);
