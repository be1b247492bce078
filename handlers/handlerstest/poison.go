package handlerstest

import (
	"reflect"
	"time"
)

// Poison sets every string in v (recursively: struct fields, slices grown to two elements, pointers allocated) to
// s, and every number to 1.
func Poison(v reflect.Value, s string) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.Type() == reflect.TypeFor[*time.Time]() {
			t := Now.Add(-time.Hour)
			v.Set(reflect.ValueOf(&t))
			return
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		Poison(v.Elem(), s)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(Now.Add(-time.Hour)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				Poison(v.Field(i), s)
			}
		}
	case reflect.Slice:
		n := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			Poison(n.Index(i), s)
		}
		v.Set(n)
	case reflect.String:
		v.SetString(s)
	case reflect.Int, reflect.Int64:
		v.SetInt(1)
	case reflect.Float64:
		v.SetFloat(1)
	}
}
