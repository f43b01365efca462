'use strict';
// The one-call verify() of the napi build (verify-suite.js; the WASM build runs the same suite).

const { verifySuite } = require('./verify-suite.js');

verifySuite('napi', require('hookseal'), require('../native.js'));
