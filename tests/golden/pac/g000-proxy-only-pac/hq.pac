// PAC file of site 'hq', written by erplan pac
// design: g000-proxy-only-pac.yaml, 'Guide 000 Figure 3 - PAC file at a site whose clients may not go out directly'
// endpoint catalog: shipped snapshot; 63 endpoint sets; sha256 676f99ac53955168
// date: 2026-01-01
// mode: all: names of every category may go DIRECT
// DIRECT: the names whose connections from this site leave by ExpressRoute (circuits: hq-er) and work, as erplan's flow engine traces them;
//   every other name goes to the site's proxy (guide 000 section 2.2, Figure 3).
function FindProxyForURL(url, host) {
  var h = String(host).toLowerCase();
  if (h.length > 0 && h.charAt(h.length - 1) == ".") {
    h = h.substring(0, h.length - 1);
  }
  var proxy = "PROXY 10.1.255.10:8080";
  // set 91, 160 Common Default: internet only
  if (shExpMatch(h, "cdn.odc.officeapps.live.com")) { return proxy; }
  // set 160 Common Default: internet only
  if (shExpMatch(h, "cdn.uci.officeapps.live.com")) { return proxy; }
  // set 56 Common Allow: ExpressRoute
  if (shExpMatch(h, "account.activedirectory.windowsazure.com")) { return "DIRECT"; }
  // set 56 Common Allow: ExpressRoute
  if (shExpMatch(h, "accounts.accesscontrol.windows.net")) { return "DIRECT"; }
  // set 56 Common Allow: ExpressRoute
  if (shExpMatch(h, "adminwebservice.microsoftonline.com")) { return "DIRECT"; }
  // set 56 Common Allow: ExpressRoute
  if (shExpMatch(h, "api.passwordreset.microsoftonline.com")) { return "DIRECT"; }
  // set 56 Common Allow: ExpressRoute
  if (shExpMatch(h, "autologon.microsoftazuread-sso.com")) { return "DIRECT"; }
  // set 56 Common Allow: ExpressRoute
  if (shExpMatch(h, "becws.microsoftonline.com")) { return "DIRECT"; }
  // set 56 Common Allow: ExpressRoute
  if (shExpMatch(h, "ccs.login.microsoftonline.com")) { return "DIRECT"; }
  // set 56 Common Allow: ExpressRoute
  if (shExpMatch(h, "clientconfig.microsoftonline-p.net")) { return "DIRECT"; }
  // set 56 Common Allow: ExpressRoute
  if (shExpMatch(h, "companymanager.microsoftonline.com")) { return "DIRECT"; }
  // set 64 Common Allow: ExpressRoute
  if (shExpMatch(h, "compliance.microsoft.com")) { return "DIRECT"; }
  // set 64 Common Allow: ExpressRoute
  if (shExpMatch(h, "defender.microsoft.com")) { return "DIRECT"; }
  // set 56 Common Allow: ExpressRoute
  if (shExpMatch(h, "device.login.microsoftonline.com")) { return "DIRECT"; }
  // set 56 Common Allow: ExpressRoute
  if (shExpMatch(h, "graph.microsoft.com")) { return "DIRECT"; }
  // set 56 Common Allow: ExpressRoute
  if (shExpMatch(h, "graph.windows.net")) { return "DIRECT"; }
  // set 56 Common Allow: ExpressRoute
  if (shExpMatch(h, "login-us.microsoftonline.com")) { return "DIRECT"; }
  // set 56 Common Allow: ExpressRoute
  if (shExpMatch(h, "login.microsoft.com")) { return "DIRECT"; }
  // set 56 Common Allow: ExpressRoute
  if (shExpMatch(h, "login.microsoftonline-p.com")) { return "DIRECT"; }
  // set 56 Common Allow: ExpressRoute
  if (shExpMatch(h, "login.microsoftonline.com")) { return "DIRECT"; }
  // set 56 Common Allow: ExpressRoute
  if (shExpMatch(h, "login.windows.net")) { return "DIRECT"; }
  // set 56 Common Allow: ExpressRoute
  if (shExpMatch(h, "logincert.microsoftonline.com")) { return "DIRECT"; }
  // set 56 Common Allow: ExpressRoute
  if (shExpMatch(h, "loginex.microsoftonline.com")) { return "DIRECT"; }
  // set 56 Common Allow: ExpressRoute
  if (shExpMatch(h, "nexus.microsoftonline-p.com")) { return "DIRECT"; }
  // set 46 Common Allow: ExpressRoute
  if (shExpMatch(h, "office.live.com")) { return "DIRECT"; }
  // set 1 Exchange Optimize: ExpressRoute
  if (shExpMatch(h, "outlook.cloud.microsoft")) { return "DIRECT"; }
  // set 1 Exchange Optimize: ExpressRoute
  if (shExpMatch(h, "outlook.office.com")) { return "DIRECT"; }
  // set 1, 2 Exchange Optimize: ExpressRoute
  if (shExpMatch(h, "outlook.office365.com")) { return "DIRECT"; }
  // set 56 Common Allow: ExpressRoute
  if (shExpMatch(h, "passwordreset.microsoftonline.com")) { return "DIRECT"; }
  // set 64 Common Allow: ExpressRoute
  if (shExpMatch(h, "protection.office.com")) { return "DIRECT"; }
  // set 56 Common Allow: ExpressRoute
  if (shExpMatch(h, "provisioningapi.microsoftonline.com")) { return "DIRECT"; }
  // set 64 Common Allow: ExpressRoute
  if (shExpMatch(h, "purview.microsoft.com")) { return "DIRECT"; }
  // set 64 Common Allow: ExpressRoute
  if (shExpMatch(h, "security.microsoft.com")) { return "DIRECT"; }
  // set 2 Exchange Allow: ExpressRoute
  if (shExpMatch(h, "smtp.office365.com")) { return "DIRECT"; }
  // set 12 Skype Allow: ExpressRoute
  if (shExpMatch(h, "teams.cloud.microsoft")) { return "DIRECT"; }
  // set 12 Skype Allow: ExpressRoute
  if (shExpMatch(h, "teams.microsoft.com")) { return "DIRECT"; }
  // set 10 Exchange Allow: ExpressRoute
  if (shExpMatch(h, "*.mail.protection.outlook.com")) { return "DIRECT"; }
  // set 9 Exchange Allow: ExpressRoute
  if (shExpMatch(h, "*.protection.outlook.com")) { return "DIRECT"; }
  // set 64 Common Allow: ExpressRoute
  if (shExpMatch(h, "*.security.microsoft.com")) { return "DIRECT"; }
  // set 64 Common Allow: ExpressRoute
  if (shExpMatch(h, "*.protection.office.com")) { return "DIRECT"; }
  // set 12 Skype Allow: ExpressRoute
  if (shExpMatch(h, "*.teams.cloud.microsoft")) { return "DIRECT"; }
  // set 46 Common Allow: ExpressRoute
  if (shExpMatch(h, "*.officeapps.live.com")) { return "DIRECT"; }
  // set 12 Skype Allow: ExpressRoute
  if (shExpMatch(h, "*.teams.microsoft.com")) { return "DIRECT"; }
  // set 56 Common Allow: ExpressRoute
  if (shExpMatch(h, "*.auth.microsoft.com")) { return "DIRECT"; }
  // set 46 Common Allow: ExpressRoute
  if (shExpMatch(h, "*.online.office.com")) { return "DIRECT"; }
  // set 56 Common Allow: ExpressRoute
  if (shExpMatch(h, "*.msftidentity.com")) { return "DIRECT"; }
  // set 56 Common Allow: ExpressRoute
  if (shExpMatch(h, "*.msidentity.com")) { return "DIRECT"; }
  // set 31 SharePoint Optimize: ExpressRoute
  if (shExpMatch(h, "*.sharepoint.com")) { return "DIRECT"; }
  // set 10 Exchange Allow: ExpressRoute
  if (shExpMatch(h, "*.mx.microsoft")) { return "DIRECT"; }
  // set 12 Skype Allow: ExpressRoute
  if (shExpMatch(h, "*.lync.com")) { return "DIRECT"; }
  return proxy;
}
