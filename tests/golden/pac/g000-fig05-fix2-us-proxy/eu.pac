// PAC file of site 'eu', written by erplan pac
// design: g000-fig05-fix2-us-proxy.yaml, 'Guide 000 Figure 5, fix 2 - EU traffic through a US-based proxy'
// endpoint catalog: shipped snapshot; 63 endpoint sets; sha256 676f99ac53955168
// date: 2026-01-01
// mode: all: names of every category may go DIRECT
// DIRECT: the names whose connections from this site leave by ExpressRoute (circuits: none) and work, as erplan's flow engine traces them;
//   every other name goes to the site's proxy (guide 000 section 2.2, Figure 3).
// the design sends every web connection of this site through its proxy
//   (proxy.mode: all, e.g. guide 000 Figure 5): no name goes DIRECT.
function FindProxyForURL(url, host) {
  var h = String(host).toLowerCase();
  if (h.length > 0 && h.charAt(h.length - 1) == ".") {
    h = h.substring(0, h.length - 1);
  }
  var proxy = "PROXY proxy.us.contoso.com:8080";
  return proxy;
}
