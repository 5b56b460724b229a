package console

import "strings"

// device describes a browser from its User-Agent, such as "Firefox on
// Linux". It reads only well-known tokens; anything else is "Unknown
// browser". It is for people to recognise their sessions, never for a
// decision.
func device(ua string) string {
	if ua == "" {
		return "Unknown device"
	}
	return browserName(ua) + " on " + osName(ua)
}

// browserName checks the tokens in an order that matters: Edge and Opera
// also say Chrome, and Chrome also says Safari.
func browserName(ua string) string {
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"HeadlessChrome/", "Headless Chrome"},
		{"Chromium/", "Chromium"}, {"Chrome/", "Chrome"}, {"CriOS/", "Chrome"}, {"FxiOS/", "Firefox"},
		{"Safari/", "Safari"}, {"curl/", "curl"},
	} {
		if strings.Contains(ua, b.token) {
			return b.name
		}
	}
	return "Unknown browser"
}

func osName(ua string) string {
	for _, o := range []struct{ token, name string }{
		{"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Android", "Android"}, {"CrOS", "ChromeOS"},
		{"Windows", "Windows"}, {"Mac OS X", "macOS"}, {"Macintosh", "macOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, o.token) {
			return o.name
		}
	}
	return "an unknown system"
}
