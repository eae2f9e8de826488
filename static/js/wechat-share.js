/* Sharing a course page from WeChat (to a chat or to Moments) with its title, description,
 * link and cover, through WeChat's JS-SDK. Loaded by the course page only inside WeChat.
 *
 * The JS-SDK itself (WeChat's jweixin-1.6.0.js, which defines window.wx) is not bundled: it is
 * served only by WeChat's own CDN, no CDN is allowed here, and npm carries only third-party
 * repackagings of it (reformatted, wrapped for CommonJS, relicensed by their publishers). This
 * script therefore uses window.wx only when the page has it (should WeChat's official file be
 * placed under static/vendor/ and included before this one) and otherwise does nothing: WeChat
 * then shares the page with its own defaults. */
(function () {
  "use strict";
  var root = document.getElementById("wechat-share");
  var wx = window.wx || window.jWeixin;
  if (!root || !wx || typeof wx.config !== "function" || !window.fetch) return;
  var data = root.dataset;
  var here = location.href.split("#")[0];
  var share = {
    title: data.title || document.title,
    desc: data.desc || "",
    link: location.origin + location.pathname,
    imgUrl: new URL(data.image, location.href).href
  };
  fetch(data.config + "?url=" + encodeURIComponent(here), {
    credentials: "same-origin", headers: {"Accept": "application/json"}
  }).then(function (response) {
    return response.ok ? response.json() : null;
  }).then(function (config) {
    if (!config) return;
    wx.config({
      debug: false, appId: config.appId, timestamp: config.timestamp, nonceStr: config.nonceStr,
      signature: config.signature, jsApiList: ["updateAppMessageShareData", "updateTimelineShareData"]
    });
    wx.ready(function () {
      wx.updateAppMessageShareData(share);
      wx.updateTimelineShareData({title: share.title, link: share.link, imgUrl: share.imgUrl});
    });
  }).catch(function () { /* offline or WeChat unreachable: WeChat's default sharing remains */ });
})();
