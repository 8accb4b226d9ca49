package dashboard

import "regexp"

// ColorNames are Metronome's color_overrides names. The page maps each to
// the CSS custom property --Name on its root element.
var ColorNames = []string{
	"Gray_dark", "Gray_medium", "Gray_light", "Gray_extralight", "White", "Primary_medium", "Primary_light",
	"UsageLine_0", "UsageLine_1", "UsageLine_2", "UsageLine_3", "UsageLine_4", "UsageLine_5", "UsageLine_6",
	"UsageLine_7", "UsageLine_8", "UsageLine_9", "Primary_green", "Primary_red", "Progress_bar", "Progress_bar_background",
}

// ValidColorName reports whether name is one of ColorNames.
func ValidColorName(name string) bool {
	for _, n := range ColorNames {
		if n == name {
			return true
		}
	}
	return false
}

// hexColor is the only color syntax accepted: a value can then never be
// anything but a color in the page's CSS.
var hexColor = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// ValidColorValue reports whether v is a #rgb or #rrggbb color.
func ValidColorValue(v string) bool { return hexColor.MatchString(v) }
