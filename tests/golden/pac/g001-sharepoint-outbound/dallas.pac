// PAC file of site 'dallas', written by erplan pac
// design: g001-sharepoint-outbound.yaml, 'Guide 001 SharePoint Online connection properties - outbound, PAC, hot potato'
// endpoint catalog: shipped snapshot; 63 endpoint sets; sha256 676f99ac53955168
// date: 2026-01-01
// mode: all: names of every category may go DIRECT
// DIRECT: the names whose connections from this site leave by ExpressRoute (circuits: dallas-er) and work, as erplan's flow engine traces them;
//   every other name goes to the site's proxy (guide 000 section 2.2, Figure 3).
// tenant: contoso
function FindProxyForURL(url, host) {
  var h = String(host).toLowerCase();
  if (h.length > 0 && h.charAt(h.length - 1) == ".") {
    h = h.substring(0, h.length - 1);
  }
  var proxy = "PROXY proxy.contoso.com:8080";
  // tenant name; set 31 SharePoint Optimize: ExpressRoute
  if (shExpMatch(h, "contoso-admin.sharepoint.com")) { return "DIRECT"; }
  // tenant name; set 31 SharePoint Optimize: ExpressRoute
  if (shExpMatch(h, "contoso-my.sharepoint.com")) { return "DIRECT"; }
  // tenant name; set 31 SharePoint Optimize: ExpressRoute
  if (shExpMatch(h, "contoso.sharepoint.com")) { return "DIRECT"; }
  // set 31 SharePoint Optimize: ExpressRoute
  if (shExpMatch(h, "*.sharepoint.com")) { return "DIRECT"; }
  return proxy;
}
